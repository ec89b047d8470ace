#!/bin/sh
# Compiler launcher of the `tsa` preset (CMakePresets.json): checks a docent source with the compiler's
# front end only (-fsyntax-only: every diagnostic, including -Wthread-safety, and no code generated),
# then leaves an empty object file so the build goes on. Precompiled headers, and anything that is not
# one of docent's library objects (CMake's own compiler checks), are compiled as usual.
obj=""
prev=""
for arg in "$@"; do
  if [ "$prev" = "-o" ]; then obj="$arg"; fi
  prev="$arg"
done
case "$obj" in
  *.pch | "") exec "$@" ;;
  */CMakeFiles/docent_*.o) "$@" -fsyntax-only && : > "$obj" ;;
  *) exec "$@" ;;
esac
