#!/usr/bin/env bash
# Installs the Debian bookworm packages docent needs to build, test and run.
# Idempotent: packages already present are skipped, and `apt-get update` runs at most once.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git curl ca-certificates
  # runtime libraries (DESIGN.md §7)
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsqlite3-dev libargon2-dev libcurl4-openssl-dev
  libcli11-dev libspdlog-dev libfmt-dev libtomlplusplus-dev
  # document engines: PDF, OCR, DOCX, HTML, type sniffing, vector index
  libpoppler-cpp-dev libtesseract-dev libleptonica-dev tesseract-ocr-eng libzip-dev libpugixml-dev
  libgumbo-dev libmagic-dev libhnswlib-dev
  # spreadsheets written by extraction (engines/xlsx)
  libxlsxwriter-dev
  # image analysis (engines/image_analysis): OpenCV decode/k-means/Laplacian, its Haar cascades;
  # GIF is decoded by leptonica (above, built with giflib): OpenCV 4.6 has no GIF reader
  libopencv-dev opencv-data
  # speech (docs/MEDIA-AUDIO.md): FFmpeg decodes and encodes, pocketsphinx + its en-us model
  # recognise, espeak-ng speaks; the two command lines are bench/media/audio.sh's yardsticks
  libavformat-dev libavcodec-dev libswresample-dev libavutil-dev
  libpocketsphinx-dev pocketsphinx-en-us libespeak-ng-dev espeak-ng-data espeak-ng pocketsphinx
  # tests, fuzzing and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev wrk python3
  # the pinned formatter and linter (make format-check, make tidy; clang 14 also runs make tsa)
  clang-format-14 clang-tidy-14
  # test fixtures: PDFs drawn with cairo, poppler's pdftotext as the ingest benchmark's yardstick
  libcairo2-dev poppler-utils
  # fonts the business-document generator draws with (tests/support/business_docs)
  fonts-dejavu-core
  # workbooks read back in the extraction tests; the seeds' Python examples run as written
  python3-openpyxl python3-requests
  # generated presentations opened by LibreOffice in the generation tests (converted to PDF)
  libreoffice-impress-nogui
  # the Python reference client of payload encryption (tests/conformance/encryption)
  python3-cryptography
)

# Node.js and npm for the openai npm conformance suite (tests/conformance/openai). Only when
# they are not on PATH: a Node installed some other way (nodesource, /usr/local) is left alone,
# and Debian's npm package would conflict with the npm that nodesource's nodejs bundles.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
