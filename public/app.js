// The landing page's script: asks Samovar's /healthz and shows how long the answer took.
'use strict';

document.addEventListener('DOMContentLoaded', async () => {
  const status = document.getElementById('status');
  const started = performance.now();
  try {
    const response = await fetch('/healthz', { cache: 'no-store' });
    const text = (await response.text()).trim();
    const ms = (performance.now() - started).toFixed(1);
    status.textContent = `Samovar answered /healthz with ${response.status} "${text}" in ${ms} ms.`;
    status.classList.add('ok');
    document.body.dataset.health = text;
  } catch (error) {
    status.textContent = `The health check failed: ${error}`;
    document.body.dataset.health = 'failed';
  }
});
