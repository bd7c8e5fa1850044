#!/usr/bin/env node
// Print the gzipped size of every asset the dashboard's first load fetches, from web/dist.
//
// First load = what web/dist/index.html references (scripts, stylesheets, module preloads),
// plus the static imports those scripts pull in; chunks loaded later with import() are listed
// apart. Target: at most 300 kB gzipped for the first load. Run `npm run build` in web/ first.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'web', 'dist')
const TARGET_KB = 300

if (!existsSync(join(DIST, 'index.html'))) {
  console.error(`${DIST}/index.html is missing: run \`npm run build\` in web/ first`)
  process.exit(1)
}

const gz = (path) => gzipSync(readFileSync(path), { level: 9 }).length
const html = readFileSync(join(DIST, 'index.html'), 'utf8')
const first = new Set()
const queue = []
for (const m of html.matchAll(/(?:src|href)="\/?([^"]+\.(?:js|css))"/g)) queue.push(m[1])
while (queue.length) {
  const asset = queue.shift()
  if (first.has(asset) || !existsSync(join(DIST, asset))) continue
  first.add(asset)
  if (asset.endsWith('.js')) {
    // Static imports of a chunk load with it: `import ... from "./x.js"` or `import "./x.js"`.
    const code = readFileSync(join(DIST, asset), 'utf8')
    for (const m of code.matchAll(/(?:^|[;\n}])\s*import\s*(?:[^"'()]*?from\s*)?["']([^"']+\.js)["']/g))
      queue.push(relative(DIST, resolve(join(DIST, dirname(asset)), m[1])))
  }
}

const all = readdirSync(join(DIST, 'assets')).map((f) => `assets/${f}`)
const later = all.filter((a) => !first.has(a) && /\.(js|css)$/.test(a))
const row = (name, bytes) => console.log(`${(bytes / 1024).toFixed(1).padStart(8)} kB  ${name}`)

console.log('first load (gzipped):')
let total = gz(join(DIST, 'index.html'))
row('index.html', total)
for (const asset of first) {
  const size = gz(join(DIST, asset))
  total += size
  row(asset, size)
}
console.log(`first_load_gzip_kb=${(total / 1024).toFixed(1)} target_kb=${TARGET_KB} within_target=${total / 1024 <= TARGET_KB}`)
if (later.length) {
  console.log('loaded later (gzipped):')
  for (const asset of later) row(asset, gz(join(DIST, asset)))
}
