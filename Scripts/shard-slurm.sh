#!/usr/bin/env bash
# A sharded job as a Slurm job array: one array task per shard, then one merge job after all of them.
#   sbatch --array=1-16 Scripts/shard-slurm.sh OUT ARGS...   ARGS: the neuronctl command line without --shard,
#                                                            --output, --no-plot
#   sbatch --dependency=afterok:JOBID --wrap "neuronctl merge OUT OUT/shards/*.shard-*-of-16.csv"
# Or both at once: Scripts/shard-slurm.sh --submit OUT N ARGS...
#   e.g. Scripts/shard-slurm.sh --submit out 16 simulate population --simulations 100000
#        Scripts/shard-slurm.sh --submit out 16 experiment sweep Sweeps/amplitude-by-frequency.yaml --quiet
#SBATCH --job-name=neuronhil-shard
#SBATCH --cpus-per-task=1
#SBATCH --time=01:00:00
#SBATCH --output=neuronhil-shard-%A_%a.log
set -euo pipefail
neuronctl=${NEURONCTL:-neuronctl}
if [[ ${1:-} == --submit ]]; then
    shift
    out=$1 n=$2
    shift 2
    job=$(sbatch --parsable --array="1-$n" "$0" "$out" "$@")
    sbatch --dependency="afterok:$job" --job-name=neuronhil-merge \
        --wrap "'$neuronctl' merge '$out' '$out'/shards/*.shard-*-of-$n.csv"
    exit 0
fi
out=$1
shift
: "${SLURM_ARRAY_TASK_ID:?run as a job array: sbatch --array=1-N $0 OUT ARGS...}"
: "${SLURM_ARRAY_TASK_COUNT:?run as a job array: sbatch --array=1-N $0 OUT ARGS...}"
mkdir -p "$out/shards"
"$neuronctl" "$@" --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" --output "$out/shards" --no-plot
