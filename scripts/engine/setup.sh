#!/usr/bin/env bash
# Builds or reuses the real engine for `npm run test:engine` and scripts/bench-peers:
# llama.cpp's llama-server (from the llama.cpp tree vendored in the llama-cpp-python sdist on PyPI)
# and a tiny random-weight Llama GGUF model with a locally trained BPE tokenizer.
# Idempotent: every step checks for its output first, so a second call takes seconds.
# Everything lives under .engine/ (git-ignored). Prints the paths as KEY=VALUE lines at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
ENGINE_DIR="${LOADSHAPE_ENGINE_DIR:-$ROOT/.engine}"
# Pinned so every machine builds the same server; override to try another release.
LLAMA_CPP_PYTHON_VERSION="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
JOBS="${ENGINE_BUILD_JOBS:-2}"
VENV="$ENGINE_DIR/venv"
SRC="$ENGINE_DIR/src"
BUILD="$ENGINE_DIR/build-$LLAMA_CPP_PYTHON_VERSION"
MODEL_DIR="$ENGINE_DIR/model"
SERVER_BIN="$BUILD/bin/llama-server"

say() { printf '[engine setup] %s\n' "$*" >&2; }
fail() { printf '[engine setup] FAILED: %s\n' "$*" >&2; exit 1; }

mkdir -p "$ENGINE_DIR" "$SRC" "$MODEL_DIR"

for tool in python3 cmake g++ make; do
  command -v "$tool" >/dev/null || fail "$tool is not on PATH (CI installs it with apt: see .ci/run)"
done

# 1. Python venv for the sdist download and the model generator (gguf, tokenizers, numpy).
if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import gguf, tokenizers, numpy' 2>/dev/null; then
  say "creating venv $VENV"
  python3 -m venv "$VENV" || fail "python3 -m venv (Debian needs python3-venv)"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r scripts/engine/requirements.txt \
    || fail "pip install -r scripts/engine/requirements.txt"
fi

# 2. The llama-cpp-python sdist (source only: --no-binary) and its vendored llama.cpp tree.
SDIST_DIR="$SRC/llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION"
LLAMA_DIR="$SDIST_DIR/vendor/llama.cpp"
if [[ ! -f "$LLAMA_DIR/tools/server/CMakeLists.txt" ]]; then
  TARBALL="$SRC/llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION.tar.gz"
  if [[ ! -f "$TARBALL" ]]; then
    say "downloading llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION sdist"
    "$VENV/bin/pip" download --quiet --disable-pip-version-check --no-binary :all: --no-deps \
      -d "$SRC" "llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION" || fail "pip download of the llama-cpp-python sdist"
  fi
  rm -rf "$SDIST_DIR"
  tar -xzf "$TARBALL" -C "$SRC" || fail "extracting $TARBALL"
  [[ -f "$LLAMA_DIR/tools/server/CMakeLists.txt" ]] \
    || fail "the sdist's vendored llama.cpp has no tools/server: llama-server cannot be built from it"
fi

# 3. Build only the llama-server target. GGML_NATIVE=OFF: CI may run on another CPU than the one
# that built it. Every option that would fetch something (prebuilt web UI, HTTPS) is off: the
# machine reaches package registries only.
if [[ ! -x "$SERVER_BIN" ]]; then
  say "configuring llama.cpp in $BUILD"
  start_s=$(date +%s)
  cmake -S "$LLAMA_DIR" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
    -DGGML_NATIVE=OFF -DBUILD_SHARED_LIBS=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON \
    -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
    -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF -DGGML_OPENMP=OFF -DGGML_BLAS=OFF -DGGML_CCACHE=OFF \
    >"$ENGINE_DIR/cmake-configure.log" 2>&1 \
    || { tail -40 "$ENGINE_DIR/cmake-configure.log" >&2; fail "cmake configure (log: $ENGINE_DIR/cmake-configure.log)"; }
  say "building llama-server with -j$JOBS (about 20-25 min on 2 busy cores; log: $ENGINE_DIR/cmake-build.log)"
  cmake --build "$BUILD" --target llama-server -j "$JOBS" >"$ENGINE_DIR/cmake-build.log" 2>&1 \
    || { tail -40 "$ENGINE_DIR/cmake-build.log" >&2; fail "cmake --build --target llama-server (log: $ENGINE_DIR/cmake-build.log)"; }
  [[ -x "$SERVER_BIN" ]] || fail "the build finished but $SERVER_BIN is missing"
  say "llama-server built in $(( $(date +%s) - start_s )) s"
fi

# 4. The tiny model and its tokenizer, deterministic from a fixed seed and a corpus made in the script.
if [[ ! -f "$MODEL_DIR/tiny-llama.gguf" || ! -f "$MODEL_DIR/tokenizer.json" || ! -f "$MODEL_DIR/tokenizer_config.json" ]]; then
  say "generating the tiny model in $MODEL_DIR"
  "$VENV/bin/python" scripts/engine/make_model.py --out "$MODEL_DIR" || fail "scripts/engine/make_model.py"
fi

echo "LLAMA_SERVER=$SERVER_BIN"
echo "ENGINE_MODEL=$MODEL_DIR/tiny-llama.gguf"
echo "ENGINE_TOKENIZER=$MODEL_DIR/tokenizer.json"
echo "LLAMA_CPP_PYTHON_VERSION=$LLAMA_CPP_PYTHON_VERSION"
