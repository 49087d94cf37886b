// The cluster files that cannot run here, checked structurally: the Kubernetes Jobs agree with
// each other, with the image and with the package (every pod's command line, run with --list,
// selects its shard of the grid), and the Slurm scripts parse and refuse what they set themselves.
import assert from "node:assert/strict";
import { load as parse } from "js-yaml";
import { expandProfile, PROFILES } from "../src/training/profiles.ts";
import { inTempDirs } from "./helpers.ts";

// deno-lint-ignore no-explicit-any
type Manifest = any;

const K8S = "cluster/k8s";
const read = async (file: string): Promise<Manifest> =>
  parse(await Deno.readTextFile(`${K8S}/${file}`));

async function containerImage(): Promise<string> {
  const version = JSON.parse(await Deno.readTextFile("deno.json")).version;
  return `sgmrl:${version}`;
}

/** The Dockerfile's working directory, which the tasks' relative paths start from. */
async function workdir(): Promise<string> {
  const match = /^WORKDIR\s+(\S+)$/m.exec(await Deno.readTextFile("Dockerfile"));
  assert.ok(match, "Dockerfile has a WORKDIR");
  return match[1];
}

/** Run a pod's `sh -c` command line with `deno` replaced by `fake` (a script on PATH). */
async function runPodCommand(
  args: string,
  env: Record<string, string>,
  fake: string,
): Promise<string> {
  return await inTempDirs(1, async ([bin]) => {
    await Deno.writeTextFile(`${bin}/deno`, `#!/bin/sh\n${fake}\n`);
    await Deno.chmod(`${bin}/deno`, 0o755);
    const out = await new Deno.Command("/bin/sh", {
      args: ["-c", args],
      env: { ...env, PATH: `${bin}:/usr/bin:/bin` },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, `${args}: ${new TextDecoder().decode(out.stderr)}`);
    return text;
  });
}

Deno.test("Kubernetes: the shards Job is an Indexed Job whose pods, run with --list, partition the grid", async () => {
  const job = await read("shards-job.yaml");
  const pvc = await read("results-pvc.yaml");
  assert.equal(job.apiVersion, "batch/v1");
  assert.equal(job.kind, "Job");
  assert.equal(job.spec.completionMode, "Indexed");
  const pod = job.spec.template.spec;
  assert.equal(pod.restartPolicy, "Never", "podFailurePolicy requires restartPolicy Never");
  assert.ok(pod.terminationGracePeriodSeconds >= 60, "time to finish an iteration and checkpoint");
  assert.equal(pod.containers.length, 1);
  const [container] = pod.containers;
  assert.equal(container.image, await containerImage());
  const env = Object.fromEntries(container.env.map((e: Manifest) => [e.name, e.value]));
  const shards = Number(env.SHARDS);
  assert.equal(job.spec.completions, shards, "completions and SHARDS must agree");
  assert.ok(job.spec.parallelism >= 1 && job.spec.parallelism <= shards);
  // Retries: exit 75 and disruptions resume; bad input fails the Job.
  const rules = job.spec.podFailurePolicy.rules;
  const onExit = (action: string) =>
    rules.filter((r: Manifest) => r.action === action && r.onExitCodes)
      .flatMap((r: Manifest) => r.onExitCodes.values);
  assert.deepEqual(onExit("Ignore"), [75]);
  assert.deepEqual(onExit("FailJob"), [2]);
  assert.ok(
    rules.some((r: Manifest) =>
      r.action === "Ignore" &&
      r.onPodConditions?.some((c: Manifest) => c.type === "DisruptionTarget")
    ),
  );
  // The volume: the claim exists, is shared between nodes, and is where --out points.
  assert.equal(pvc.kind, "PersistentVolumeClaim");
  assert.deepEqual(pvc.spec.accessModes, ["ReadWriteMany"]);
  const [volume] = pod.volumes;
  assert.equal(volume.persistentVolumeClaim.claimName, pvc.metadata.name);
  const [mount] = container.volumeMounts;
  assert.equal(mount.name, volume.name);
  assert.deepEqual(container.command, ["/bin/sh", "-c"]);
  const [line] = container.args;
  const out = /--out (\S+)/.exec(line)?.[1];
  assert.equal(`${await workdir()}/${out}`, mount.mountPath, "--out is the mounted volume");

  // Every pod's command line, with deno task reproduce --list: the shards partition the grid.
  const listed: string[] = [];
  for (let index = 0; index < shards; index++) {
    const text = await runPodCommand(
      line.replace(`--out ${out}`, `--out results/tmp-k8s-${index}`),
      { JOB_COMPLETION_INDEX: String(index), SHARDS: env.SHARDS, WORKERS: env.WORKERS },
      `exec "${Deno.execPath()}" "$@" --list`,
    );
    const ids = text.split("\n").filter((l) => l.includes("\t")).map((l) => l.split("\t")[0]);
    assert.ok(ids.length > 0, `pod ${index} lists its shard`);
    listed.push(...ids);
  }
  const grid = expandProfile(PROFILES[/--profile (\S+)/.exec(line)![1]]).map((c) => c.id);
  assert.deepEqual(listed.sort(), grid.sort());
});

Deno.test("Kubernetes: the finalize Job merges and spot-verifies the shards' directory with their grid options", async () => {
  const shards = await read("shards-job.yaml");
  const finalize = await read("finalize-job.yaml");
  assert.equal(finalize.kind, "Job");
  const [shard] = shards.spec.template.spec.containers;
  const [container] = finalize.spec.template.spec.containers;
  assert.equal(container.image, shard.image);
  assert.deepEqual(container.volumeMounts, shard.volumeMounts);
  assert.deepEqual(
    finalize.spec.template.spec.volumes,
    shards.spec.template.spec.volumes,
  );
  const calls = (await runPodCommand(container.args[0], { SPOT: "3" }, 'echo "$*"; exit 0'))
    .trim().split("\n");
  assert.equal(calls.length, 2, "merge, then verify");
  const options = (call: string) => {
    const words = call.split(" ");
    const map = new Map<string, string>();
    for (let i = 2; i < words.length; i += 2) map.set(words[i], words[i + 1]);
    return { task: words.slice(0, 2).join(" "), map };
  };
  const merge = options(calls[0]);
  const verify = options(calls[1]);
  const shardEnv = Object.fromEntries(shard.env.map((e: Manifest) => [e.name, e.value]));
  const shardCall = await runPodCommand(
    shard.args[0],
    { ...shardEnv, JOB_COMPLETION_INDEX: "0" },
    'echo "$*"; exit 0',
  );
  const reproduce = options(shardCall.trim());
  assert.equal(reproduce.task, "task reproduce");
  assert.equal(merge.task, "task merge");
  assert.equal(verify.task, "task verify");
  assert.equal(merge.map.get("--dir"), reproduce.map.get("--out"));
  assert.equal(verify.map.get("--dir"), reproduce.map.get("--out"));
  for (const grid of ["--profile", "--only", "--seeds", "--config", "--backend"]) {
    assert.equal(merge.map.get(grid), reproduce.map.get(grid), `merge ${grid}`);
  }
  assert.equal(verify.map.get("--profile"), reproduce.map.get("--profile"));
  assert.ok(Number(verify.map.get("--spot")) >= 1);
});

Deno.test("Slurm and container scripts parse, and submit.sh refuses what it sets itself before submitting anything", async () => {
  for (
    const file of [
      "slurm/submit.sh",
      "slurm/shard.sbatch",
      "slurm/finalize.sbatch",
      "slurm/test.sh",
      "test_lib.sh",
      "../container/base.sh",
      "../container/build.sh",
      "../container/test.sh",
    ]
  ) {
    const out = await new Deno.Command("bash", { args: ["-n", `cluster/${file}`] }).output();
    assert.equal(out.code, 0, file);
  }
  for (
    const [args, message] of [
      [["--profile", "quick"], /^error: shards: a positive integer is required/],
      [["--shards", "0"], /^error: shards: /],
      [["--shards", "2", "--cpus", "x"], /^error: cpus: /],
      [["--shards", "2", "--shard", "1/2"], /^error: --shard: set by this script/],
      [["--shards", "2", "--workers", "3"], /^error: --workers: set by this script/],
    ] as const
  ) {
    const out = await new Deno.Command("bash", {
      args: ["cluster/slurm/submit.sh", ...args],
      env: { PATH: "/usr/bin:/bin" }, // no sbatch needed: nothing may be submitted
      stderr: "piped",
    }).output();
    assert.equal(out.code, 2, args.join(" "));
    assert.match(new TextDecoder().decode(out.stderr), message);
  }
});
