# A container that runs the package with the pinned Deno and the locked dependencies.
#   docker build -t sgmrl .
#   docker run --rm -v "$PWD/results:/app/results" sgmrl reproduce --profile quick
#   docker run --rm -v "$PWD/results:/app/results" sgmrl verify
# Everything is fetched at build time (deno.lock is frozen); the tasks need no network at run time.
FROM denoland/deno:debian-2.9.6
# The native MuJoCo library's mujoco-testspeed, which `deno task bench` compares the WebAssembly
# build with (optional: the bench reports it as not installed without it).
RUN apt-get update && apt-get install -y --no-install-recommends libmujoco-samples \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY deno.json deno.lock ./
COPY mod.ts ./
COPY src ./src
COPY tasks ./tasks
COPY test ./test
COPY results ./results
RUN deno install --frozen --entrypoint mod.ts tasks/reproduce.ts tasks/verify.ts tasks/bench.ts
ENTRYPOINT ["deno", "task"]
CMD ["reproduce", "--profile", "quick"]
