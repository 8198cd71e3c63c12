#!/bin/sh
# The main job on a built tree: validate the bundled examples and show what qlaunch
# makes of them. (Later steps boot examples/demo.xml.)
set -u
cd "$(dirname "$0")/.."
Q=./qlaunch
echo "== qlaunch validate examples/seed-domain.xml (the user's domain, as written)"
$Q validate examples/seed-domain.xml
echo "== qlaunch validate examples/seed-domain-fixed.xml (the same, corrected to run here)"
$Q validate examples/seed-domain-fixed.xml || exit 1
if $Q --help | grep -q '^  argv'; then
    echo "== qlaunch argv --accel tcg examples/seed-domain-fixed.xml"
    $Q argv --accel tcg examples/seed-domain-fixed.xml || exit 1
fi
