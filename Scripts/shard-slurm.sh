#!/usr/bin/env bash
# A sweep as a Slurm job array: one array task per shard, then one merge job after all of them.
#   sbatch --array=1-16 Scripts/shard-slurm.sh Sweeps/amplitude-by-frequency.yaml out       # the shards
#   sbatch --dependency=afterok:JOBID --wrap "neuronctl merge out out/shards/*-runs.shard-*-of-16.csv"
# Or both at once: Scripts/shard-slurm.sh --submit SWEEP.yaml OUT N [sweep flags...]
#SBATCH --job-name=neuronhil-sweep
#SBATCH --cpus-per-task=1
#SBATCH --time=01:00:00
#SBATCH --output=neuronhil-sweep-%A_%a.log
set -euo pipefail
neuronctl=${NEURONCTL:-neuronctl}
if [[ ${1:-} == --submit ]]; then
    shift
    sweep=$1 out=$2 n=$3
    shift 3
    job=$(sbatch --parsable --array="1-$n" "$0" "$sweep" "$out" "$@")
    sbatch --dependency="afterok:$job" --job-name=neuronhil-merge \
        --wrap "$neuronctl merge '$out' '$out'/shards/*-runs.shard-*-of-$n.csv"
    exit 0
fi
sweep=$1 out=$2
shift 2
: "${SLURM_ARRAY_TASK_ID:?run as a job array: sbatch --array=1-N $0 SWEEP OUT}"
: "${SLURM_ARRAY_TASK_COUNT:?run as a job array: sbatch --array=1-N $0 SWEEP OUT}"
mkdir -p "$out/shards"
"$neuronctl" experiment sweep "$sweep" --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" --output "$out/shards" \
    --no-plot --quiet "$@"
