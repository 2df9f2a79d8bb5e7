/**
 * The upload page served at GET /: choose or drop a photo, see the top-k as bars. It posts
 * to its own path, so it works both direct (/) and through the gateway (/function/NAME).
 */
export function uploadPage(model: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>edgefaas classifier (${model})</title>
<style>
  body { font: 16px system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  /* A label is inline by default: its padding and border would be drawn over the lines around it. */
  #drop { display: block; border: 2px dashed #888; border-radius: 8px; padding: 2rem 1rem; margin: 1rem 0; text-align: center; cursor: pointer; }
  #drop.over { background: #eef; border-color: #44c; }
  #preview { display: none; max-width: 100%; max-height: 16rem; margin: 1rem auto; }
  .row { display: grid; grid-template-columns: min(12rem, 40%) 1fr 4rem; gap: .5rem; align-items: center; margin: .3rem 0; }
  .label { overflow-wrap: anywhere; }
  .bar { height: 1rem; background: #46c; border-radius: 3px; }
  #error { color: #b00; }
</style>
</head>
<body>
<h1>Image classifier</h1>
<p>Model <b>${model}</b>. Choose or drop a photo (JPEG, PNG, WebP, GIF).</p>
<label id="drop">Drop a photo here, or click to choose one
  <input id="file" type="file" accept="image/*" hidden>
</label>
<img id="preview" alt="">
<p id="status" role="status"></p>
<p id="error" role="alert"></p>
<div id="results"></div>
<script>
const $ = (id) => document.getElementById(id);
async function classify(file) {
  $('error').textContent = '';
  $('results').replaceChildren();
  $('preview').src = URL.createObjectURL(file);
  $('preview').style.display = 'block';
  $('status').textContent = 'Classifying ' + file.name + '...';
  try {
    // The page's own query (e.g. ?model=catdog) goes along with the photo.
    const query = new URLSearchParams(location.search);
    if (!query.has('top')) query.set('top', '5');
    const res = await fetch(location.pathname + '?' + query, { method: 'POST', body: file, headers: { 'Content-Type': 'application/octet-stream' } });
    const answer = await res.json();
    if (!res.ok) throw new Error(answer.error || res.statusText);
    $('status').textContent = file.name + ': ' + answer.timings_ms.infer.toFixed(0) + ' ms';
    // catdog answers cat or dog for any photo; ImageNet's own top class shows when it is neither.
    if (answer.imagenet_top1) $('status').textContent += ', ImageNet sees ' + answer.imagenet_top1.label + ' (' + (answer.imagenet_top1.score * 100).toFixed(0) + '%)';
    for (const p of answer.predictions) {
      const row = document.createElement('div');
      row.className = 'row prediction';
      const label = document.createElement('span');
      label.className = 'label';
      label.textContent = p.label;
      const bar = document.createElement('div');
      bar.className = 'bar';
      bar.style.width = Math.max(1, p.score * 100) + '%';
      const score = document.createElement('span');
      score.textContent = (p.score * 100).toFixed(1) + '%';
      row.append(label, bar, score);
      $('results').append(row);
    }
  } catch (err) {
    $('status').textContent = '';
    $('error').textContent = 'Could not classify ' + file.name + ': ' + err.message;
  }
}
$('file').addEventListener('change', (e) => e.target.files[0] && classify(e.target.files[0]));
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  if (e.dataTransfer.files[0]) classify(e.dataTransfer.files[0]);
});
</script>
</body>
</html>
`;
}
