#!/usr/bin/env bash
# bench/media (audio): word error rate and speed of the built-in recogniser beside the
# `pocketsphinx_continuous` command line on the same clips in the same run, and TTS characters/s
# beside the `espeak-ng` command line. Writes the bench:audio section of docs/PERFORMANCE.md.
#
#   bench/media/audio.sh [BUILD_DIR]     (default build/; needs `make build`)
#
# Clips: ../shared/testdata/speech-pocketsphinx (pocketsphinx's own test data, BSD licence): the
# five LibriVox clips, the five "cards" clips and goforward. The command line loads its model on
# every run; that load (timed on a 0.1 s clip) is subtracted so both sides are timed recognising.
set -euo pipefail
repo_root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$repo_root/build}
# ../shared beside the checkout (a worktree may sit deeper: /work/shared as the fallback).
data=${SPEECH_DATA:-$repo_root/../shared/testdata/speech-pocketsphinx/test/data}
[ -d "$data" ] || data=/work/shared/testdata/speech-pocketsphinx/test/data
bench=$build/bench/bench_media_audio
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

clips=() refs=()
for f in "$data"/librivox/*.wav; do clips+=("$f"); refs+=("$(cat "${f%.wav}.txt")"); done
for n in 001 002 003 004 005; do
  clips+=("$data/cards/$n.wav")
  refs+=("$(grep "($n)" "$data/cards/cards.transcription" | sed 's/ *(.*)//; s/<\/\?s>//g')")
done
clips+=("$data/goforward.converted.wav"); refs+=("go forward ten meters")
printf '%s\n' "${refs[@]}" > "$tmp/refs"

now() { date +%s.%N; }
"$bench" stt "${clips[@]}" > "$tmp/ours"
/usr/bin/python3 - "$tmp/tiny.wav" <<'PY'
import sys, wave
w = wave.open(sys.argv[1], "wb"); w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000)
w.writeframes(b"\0\0" * 1600); w.close()
PY
t0=$(now); pocketsphinx_continuous -infile "$tmp/tiny.wav" -logfn /dev/null > /dev/null; t1=$(now)
load=$(echo "$t1 - $t0" | bc -l)
: > "$tmp/cli"
for c in "${clips[@]}"; do
  t0=$(now); hyp=$(pocketsphinx_continuous -infile "$c" -logfn /dev/null | tr '\n' ' '); t1=$(now)
  echo "$(echo "$t1 - $t0 - $load" | bc -l) $hyp" >> "$tmp/cli"
done

# TTS: the same text, 20 times, through the library and the command line (to /dev/null as WAV).
text="The quick brown fox jumps over the lazy dog. Speech synthesis turns text into sound, one sentence at a time."
printf '%s' "$text" > "$tmp/text"
read -r chars tts_wall _ < <("$bench" tts "$tmp/text" 20)
t0=$(now); for _ in $(seq 20); do espeak-ng -v en-us -w "$tmp/out.wav" -f "$tmp/text"; done; t1=$(now)
cli_tts=$(echo "$t1 - $t0" | bc -l)

section=$(/usr/bin/python3 - "$tmp" "$chars" "$tts_wall" "$cli_tts" <<'PY'
import re, sys, platform, os
tmp, chars, tts_wall, cli_tts = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
def words(t): return re.findall(r"[a-z0-9']+", t.lower())
def edits(r, h):
    prev = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        cur = [i] + [0] * len(h)
        for j in range(1, len(h) + 1):
            cur[j] = min(prev[j - 1] + (r[i - 1] != h[j - 1]), prev[j] + 1, cur[j - 1] + 1)
        prev = cur
    return prev[-1]
refs = open(f"{tmp}/refs").read().splitlines()
ours = [l.split(" ", 2) for l in open(f"{tmp}/ours").read().splitlines()]
cli = [l.split(" ", 1) for l in open(f"{tmp}/cli").read().splitlines()]
ref_words = sum(len(words(r)) for r in refs)
e_ours = sum(edits(words(r), words(o[2] if len(o) > 2 else "")) for r, o in zip(refs, ours))
e_cli = sum(edits(words(r), words(c[1] if len(c) > 1 else "")) for r, c in zip(refs, cli))
audio = sum(float(o[0]) for o in ours)
t_ours = sum(float(o[1]) for o in ours)
t_cli = sum(max(float(c[0]), 0.0) for c in cli)
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
print("<!-- bench:audio:begin -->")
print("## Speech (bench/media/audio.sh)\n")
print(f"Machine: {cpu}, {os.cpu_count()} cores (shared). Command: `bench/media/audio.sh`. "
      f"{len(refs)} clips of pocketsphinx's test data ({audio:.1f} s of audio, {ref_words} reference words).\n")
print("| figure | docent built-in | command line, same run | ratio |")
print("|---|---|---|---|")
print(f"| word error rate | {e_ours / ref_words:.3f} | {e_cli / ref_words:.3f} (pocketsphinx_continuous) | "
      f"{'same' if e_ours == e_cli else f'{e_ours} vs {e_cli} edits'} |")
print(f"| recognition real-time factor (wall / audio) | {t_ours / audio:.3f} | {t_cli / audio:.3f} (model load subtracted) | "
      f"speed {t_cli / t_ours:.2f}x of the CLI |")
print(f"| TTS characters/s | {chars / tts_wall:.0f} | {chars / cli_tts:.0f} (espeak-ng -w) | {cli_tts / tts_wall:.2f}x |")
print("\nThe built-in side decodes each WAV with FFmpeg in process (a request adds the isolated child, "
      "~10 ms) and recognises with a decoder loaded once; the TTS side synthesises without encoding, while "
      "each espeak-ng command-line run includes its process start and data load. The two recognisers are "
      "configured alike (en-us model, default search) but do not yet hear the same words: the WER difference "
      "is measured, not explained.")
print("<!-- bench:audio:end -->")
PY
)
printf '%s\n' "$section"
printf '%s\n' "$section" | /usr/bin/python3 "$repo_root/bench/write_section.py" "${PERF_DOC:-$repo_root/docs/PERFORMANCE.md}" audio
