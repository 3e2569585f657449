# Generative Playground: one Streamlit replica per container. One process serves about one core's worth of
# students (one interpreter runs every session's script), so a school runs several containers behind a proxy
# with session affinity (deploy/, README "Run more servers"), not one big container.
#
#   docker build -t generative-playground .
#   docker run --rm -p 8501:8501 generative-playground          # then http://localhost:8501
#
# Everything the app needs at run time ships in the image (models, weights, texts): no internet after the build.
FROM python:3.11-slim-bookworm

# Deliberate thread counts: many students share one process, and the models are tiny, so one torch/OpenMP/BLAS
# thread per op is faster than several fighting over a busy core (engine/core/torch_setup.py reads GP_TORCH_THREADS).
# Scale with more replicas, not more threads.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GP_TORCH_THREADS=1 \
    OMP_NUM_THREADS=1 \
    MKL_NUM_THREADS=1 \
    OPENBLAS_NUM_THREADS=1

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin app
WORKDIR /app

# The pinned dependencies first, so a code change does not reinstall them. PyPI's torch==2.13.0 for Linux is
# the CUDA build (triton and ~15 nvidia-* packages, gigabytes); PyTorch's CPU index has torch==2.13.0+cpu, and
# the exact "+cpu" pin makes the build fail rather than fall back to CUDA if that index cannot be reached.
# The check after it fails the build if anything but the CPU build got in.
COPY requirements.txt ./
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu -r requirements.txt "torch==2.13.0+cpu" \
 && python -c "import torch; assert torch.__version__.endswith('+cpu') and torch.version.cuda is None, torch.__version__"

# The app and its own config (.streamlit/config.toml: headless, no file watcher, no error details, theme).
COPY --chown=app:app . .
USER app

EXPOSE 8501
# The health check runs the home page in a session of its own (/_stcore/script-health-check, switched on in
# .streamlit/config.toml): 200 means the app's script runs to the end, and the first check starts the server's
# background warm-up (ui/prewarm.py: torch, scikit-learn, plotly, the pages' modules), so the first student does not
# wait for those imports. --start-interval (Docker 25+) checks every 2 s during the start period, so the warm-up
# begins seconds after the server is up. The timeout is generous: on a replica busy with a class the home page
# waits its turn for the interpreter. The slim image has no curl.
HEALTHCHECK --interval=30s --timeout=30s --start-period=60s --start-interval=2s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/script-health-check', timeout=29)"]
CMD ["python", "-m", "streamlit", "run", "streamlit_app.py", "--server.port=8501", "--server.address=0.0.0.0"]
