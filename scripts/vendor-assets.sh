#!/usr/bin/env bash
# Refresh the browser libraries that the pages load from the app itself (no CDN: inspectors
# work where the network is weak). Pinned versions, checked against the npm registry's
# sha512 integrity; the extracted files are committed under maps/static/vendor/, so neither
# `make demo` nor `make test` needs the network for them. Run by hand to upgrade a library;
# with package names as arguments (e.g. `leaflet.vectorgrid`), only those are refreshed.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=maps/static/vendor
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# package@version  sha512 integrity (npm view PKG@VER dist.integrity)  files to keep (from package/)
PACKAGES=(
  "leaflet@1.9.4 sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA== LICENSE dist/leaflet.js dist/leaflet.css dist/images"
  "leaflet.markercluster@1.5.3 sha512-vPTw/Bndq7eQHjLBVlWpnGeLa3t+3zGiuM7fJwCkiMFq+nmRuG3RI3f7f4N4TDX7T4NpbAXpR2+NTRSEGfCSeA== MIT-LICENCE.txt dist/leaflet.markercluster.js dist/MarkerCluster.css dist/MarkerCluster.Default.css"
  "jquery@3.7.1 sha512-m4avr8yL8kmFN8psrbFFFmB/If14iN5o9nw/NgnnM+kybDJpRsAynV2BsfpTYrTRysYUdADVD7CkUUizgkpLfg== LICENSE.txt dist/jquery.min.js"
  "bootstrap@5.2.2 sha512-dEtzMTV71n6Fhmbg4fYJzQsw1N29hJKO1js5ackCgIpDcGid2ETMGC6zwSYw09v05Y+oRdQ9loC54zB1La3hHQ== LICENSE dist/js/bootstrap.bundle.min.js dist/css/bootstrap.min.css"
  "swagger-ui-dist@5.35.0 sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ== LICENSE swagger-ui-bundle.js swagger-ui.css favicon-32x32.png"
  "chart.js@4.4.9 sha512-EyZ9wWKgpAU0fLJ43YAEIF8sr5F2W3LqbS40ZJyHIner2lY14ufqv2VMp69MAiZ2rpwxEUxEhIH/0U3xyRynxg== LICENSE.md dist/chart.umd.js"
  # Vector tiles (/tiles) on the maps; its licence (Beerware) is in README.md.
  "leaflet.vectorgrid@1.3.0 sha512-kWmj1pKM+MVdo/7Mg5zsB3YrGZvo/uIuiANV9MvWUFOG+Y2xAJzrteDhoIcCgTjHSSRJ36xdeGdIQVhuWjnCZw== README.md dist/Leaflet.VectorGrid.bundled.min.js"
)

for entry in "${PACKAGES[@]}"; do
  read -r spec integrity files <<<"$entry"
  name=${spec%@*}
  if [[ $# -gt 0 && " $* " != *" $name "* ]]; then continue; fi
  (cd "$WORK" && npm pack "$spec" --silent >/dev/null)
  tarball=$(ls "$WORK"/*.tgz)
  actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
  if [[ "$actual" != "$integrity" ]]; then
    echo "integrity mismatch for $spec: $actual" >&2
    exit 1
  fi
  mkdir -p "$WORK/x" && tar xzf "$tarball" -C "$WORK/x"
  rm -rf "${DEST:?}/$name" && mkdir -p "$DEST/$name"
  for f in $files; do cp -r "$WORK/x/package/$f" "$DEST/$name/"; done
  echo "$spec" > "$DEST/$name/VERSION"
  rm -rf "$WORK/x" "$tarball"
  echo "vendored $spec"
done
