#!/usr/bin/env bash
# GPU checks, run on a machine with CUDA (about 4 minutes). Each section is independent; other features
# append their own sections below. Usage: bash scripts/device_check.sh
set -u
status=0
python -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"

# ---------------------------------------------------------------------------------------------------------
# section: 3-D renderer (issue 11): numpy == torch CUDA test, then the CUDA render rate table
echo "== scene3d: CUDA render tests"
python -m pytest tests/render/test_scene3d_data.py -q -p no:cacheprovider -k "cuda or torch" -rs || status=1
echo "== scene3d: CUDA render rates"
timeout 150 python - <<'PY' || status=1
import time
import numpy as np
import torch
from gtdata.render import RenderedData

assert torch.cuda.is_available(), "no CUDA device"
print("| scene | batch | images/s (median of 5) | target |")
print("|---|---:|---:|---|")
for name in ("shapes3d_like", "objects3d", "light3d"):
    data = RenderedData(name, backend="torch", device="cuda")
    data._raster.cache_bytes = 0  # no cache hits: every image is traced (sample_values renders the batches too)
    for n in (4096, 16384):
        batches = [data.sample_values(n, seed)[0] for seed in range(2)]
        data.render_values(batches[0], dtype=np.uint8)  # warm-up
        times = []
        for r in range(5):
            torch.cuda.synchronize()
            t = time.perf_counter()
            data.render_values(batches[r % 2], dtype=np.uint8)
            torch.cuda.synchronize()
            times.append(time.perf_counter() - t)
        print(f"| {name} continuous [torch cuda] | {n} | {n / np.median(times):,.0f} | >= 100,000/s |")
    data = RenderedData(name, backend="torch", device="cuda")  # default cache: warm after the first batch
    codes = data.sample_codes(16384, 0)
    data.observations(codes, dtype=np.uint8)
    t = time.perf_counter()
    data.observations(codes, dtype=np.uint8)
    print(f"| {name} grid codes, warm cache [torch cuda] | 16384 | {16384 / (time.perf_counter() - t):,.0f} | |")
PY

# ---------------------------------------------------------------------------------------------------------
# section: pack training and the GPU data path (issue 12): CUDA tests, then the pack rate table
echo "== pack training + GPU data path + bf16 + chunked encoder passes: CUDA tests"
python -m pytest tests/training/test_pack.py tests/training/test_device_data.py tests/training/test_precision.py \
    tests/training/test_run.py -q -p no:cacheprovider -k cuda -rs || status=1
echo "== pack training: GPU rates (conv beta_vae, batch 64, 64x64x1; fp32 and bf16)"
timeout 170 python scripts/bench_pack_gpu.py --sizes 1,8,32,64 --steps 20 --precisions fp32,bf16 || status=1

exit $status
