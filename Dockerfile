# pykyverno: the MCP server and CLI in a container image.
#   docker build -t ghcr.io/pykyverno/pykyverno:0.1.0 .
#   docker run --rm -p 8080:8080 -e PYKYVERNO_MCP_TOKEN="$(openssl rand -hex 32)" ghcr.io/pykyverno/pykyverno:0.1.0
# Stage 1 builds the pykyverno wheel and installs it with its dependencies into a virtual environment
# (cel-expr-python ships binary wheels for CPython 3.11 on manylinux x86_64, so nothing is compiled); stage 2 copies
# only that environment onto the same slim Python base (so the venv's interpreter path stays valid), without pip,
# setuptools, compilers or the sources, and runs as an unprivileged numeric user.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY engine ./engine
COPY server ./server
RUN python -m venv /opt/pykyverno \
 && /opt/pykyverno/bin/pip install --upgrade pip \
 && /opt/pykyverno/bin/pip wheel --no-deps --wheel-dir /wheels . \
 && /opt/pykyverno/bin/pip install /wheels/pykyverno-*.whl \
 && /opt/pykyverno/bin/pip uninstall --yes pip setuptools wheel \
 && /opt/pykyverno/bin/pykyverno --help > /dev/null

FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="pykyverno" \
      org.opencontainers.image.description="Kubernetes policy governance MCP server and CLI (Kyverno CEL policies)" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PATH=/opt/pykyverno/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp
COPY --from=builder /opt/pykyverno /opt/pykyverno
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["pykyverno"]
CMD ["serve", "--transport", "http", "--host", "0.0.0.0", "--port", "8080"]
