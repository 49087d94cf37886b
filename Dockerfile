# The package in a container, built with no network at all: everything comes from the build
# context, which container/build.sh prepares (the pinned deno binary in .container/, and
# node_modules installed from the frozen deno.lock), so it builds the same on an air-gapped
# cluster. The base is localhost/sgmrl-base:local, made from this machine's Debian packages by
# container/base.sh (no registry needed); any glibc base with /bin/sh does too, pinned by digest:
#   --build-arg BASE=debian:bookworm-slim@sha256:<digest>
#
#   container/build.sh                       (podman or docker; tags sgmrl:VERSION)
#   docker run --rm --network none -v "$PWD/results/runs:/app/results/runs" \
#     sgmrl:0.1.0 reproduce --profile quick     (your run, compared with the image's results/quick)
# The tasks run with the permissions of deno task (read /app, write /app/results only).
ARG BASE=localhost/sgmrl-base:local
FROM ${BASE}
ENV DENO_DIR=/app/.deno-cache \
    DENO_NO_UPDATE_CHECK=1 \
    DENO_NO_PROMPT=1 \
    HOME=/app
COPY .container/deno /usr/local/bin/deno
WORKDIR /app
COPY deno.json deno.lock mod.ts ./
COPY node_modules ./node_modules
COPY src ./src
COPY tasks ./tasks
COPY bench ./bench
COPY results ./results
# Type-check and compile every task once, offline, so that runs start at once.
RUN ["deno", "cache", "--frozen", "mod.ts", "tasks/reproduce.ts", "tasks/verify.ts", \
     "tasks/merge.ts", "tasks/analyse.ts", "tasks/theory.ts", "tasks/bench.ts", "tasks/bounds.ts", \
     "tasks/export.ts"]
ENTRYPOINT ["deno", "task"]
CMD ["reproduce", "--profile", "quick"]
