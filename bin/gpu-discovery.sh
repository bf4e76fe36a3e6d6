#!/usr/bin/env bash
# Spark GPU discovery script shipped with dparallel: prints the GPUs this executor (or standalone Worker) may use
# as Spark's resource JSON, e.g. {"name":"gpu","addresses":["0","1"]}.
#
#   spark.executor.resource.gpu.discoveryScript=/path/to/gpu-discovery.sh   (YARN, Kubernetes)
#   spark.worker.resource.gpu.discoveryScript=/path/to/gpu-discovery.sh     (standalone Workers)
#
# With CUDA_VISIBLE_DEVICES set (also when empty: then no GPU), its entries are the addresses, so that Spark never
# hands out a GPU the process cannot see; dparallel maps an address to the CUDA ordinal by its position in that
# list. Otherwise the addresses are nvidia-smi's indices (PCI bus order); dparallel maps them to CUDA ordinals by
# PCI bus id, or set CUDA_DEVICE_ORDER=PCI_BUS_ID. In a container (Kubernetes) nvidia-smi lists only the GPUs the
# runtime exposed (NVIDIA_VISIBLE_DEVICES), numbered from 0, as CUDA does.
set -euo pipefail

addresses=()
if [ "${CUDA_VISIBLE_DEVICES+set}" = set ]; then
  IFS=',' read -ra listed <<< "${CUDA_VISIBLE_DEVICES}"
  for entry in "${listed[@]}"; do
    entry="${entry//[[:space:]]/}"
    # CUDA stops at the first invalid entry (such as -1 or NoDevFiles): so does this script.
    [[ "$entry" =~ ^([0-9]+|GPU-[0-9a-fA-F-]+|MIG-[0-9a-zA-Z/-]+)$ ]] || break
    addresses+=("$entry")
  done
else
  while IFS= read -r index; do
    index="${index//[[:space:]]/}"
    [ -n "$index" ] && addresses+=("$index")
  done < <(nvidia-smi --query-gpu=index --format=csv,noheader)
fi

json=""
for address in "${addresses[@]+"${addresses[@]}"}"; do
  json="${json:+$json,}\"$address\""
done
echo "{\"name\":\"gpu\",\"addresses\":[${json}]}"
