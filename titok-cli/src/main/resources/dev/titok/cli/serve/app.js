// The TiTok page: everything it shows comes from the JSON API of the same server (no external resources).
"use strict";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const state = { models: [], limits: {}, model: null, tokens: null, edit: 0 };

/** The colour of a token id; TiTokServerBrowserTest computes the same in Java. The golden-angle-like step keeps neighbouring ids apart. */
function tokenColour(id) {
  return `hsl(${(id * 137) % 360}, 70%, 62%)`;
}

function status(text, isError) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

async function api(path, options) {
  const response = await fetch(path, options);
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try { message = (await response.json()).error || message; } catch (e) { /* not JSON: keep the status line */ }
    throw new Error(message);
  }
  return response;
}

function selectedModel() {
  return state.models.find((m) => m.name === $("model").value);
}

function showModel() {
  const m = selectedModel();
  state.model = m;
  const kind = m.mode === "vq" ? `${m.tokens} tokens, codebook ${m.codebookSize}` : `${m.tokens} continuous tokens of ${m.tokenSize} values`;
  $("model-info").textContent = `${kind}, ${m.imageSize}×${m.imageSize} images` + (m.generator ? `, generator of ${m.generator.classes} classes` : "");
  $("generate").hidden = !m.generator;
  if (m.generator) {
    $("count").max = state.limits.maxSamples;
    const names = m.generator.classNames || [];
    $("class-names").replaceChildren(...names.map((name, id) => new Option(`${id} ${name}`, name)));
  }
}

async function tokenize(file) {
  if (file.size > state.limits.maxUploadBytes) {
    status(`${file.name || "the file"} is ${file.size} bytes: the limit is ${state.limits.maxUploadBytes} bytes`, true);
    return;
  }
  const m = state.model;
  status(`tokenizing with ${m.name}…`);
  try {
    const result = await (await api(`/api/tokenize?model=${encodeURIComponent(m.name)}`, { method: "POST", body: file })).json();
    $("original").src = result.original;
    $("reconstruction").src = result.reconstruction;
    const resized = result.width !== m.imageSize || result.height !== m.imageSize;
    $("original-caption").textContent = `input: ${result.width}×${result.height}` + (resized ? `, resized and cropped to ${m.imageSize}×${m.imageSize}` : "");
    $("reconstruction-caption").textContent = `reconstruction from ${m.tokens} tokens`;
    state.tokens = result.tokens || null;
    drawTokens(m, result);
    $("result").hidden = false;
    status(`${m.name}: ${m.tokens} tokens in ${result.ms} ms`);
    document.body.dataset.state = "tokenized";
  } catch (e) {
    status(e.message, true);
    document.body.dataset.state = "error";
  }
}

function drawTokens(m, result) {
  const grid = $("grid");
  grid.style.gridTemplateColumns = `repeat(${m.tokens <= 32 ? 8 : 16}, 44px)`;
  if (!result.tokens) {
    $("tokens-title").textContent = `${m.tokens} continuous tokens (${m.tokenSize} values each)`;
    $("tokens-hint").textContent = "A vae model: its tokens are vectors, not ids to edit.";
    grid.replaceChildren();
    return;
  }
  $("tokens-title").textContent = `${m.tokens} tokens (ids 0..${m.codebookSize - 1})`;
  $("tokens-hint").textContent = "Click a token to change its id; the reconstruction follows.";
  grid.replaceChildren(...result.tokens.map((id, i) => tokenCell(i, id, false)));
}

function tokenCell(index, id, edited) {
  // A div, not a button: a button may not hold the input that editing puts in the cell.
  const cell = document.createElement("div");
  cell.setAttribute("role", "button");
  cell.tabIndex = 0;
  cell.className = edited ? "token edited" : "token";
  cell.textContent = id;
  cell.title = `token ${index}: id ${id}`;
  cell.dataset.index = index;
  cell.style.background = tokenColour(id);
  cell.addEventListener("click", () => editToken(cell, index));
  cell.addEventListener("keydown", (e) => {
    if (e.target === cell && (e.key === "Enter" || e.key === " ")) {
      e.preventDefault();
      editToken(cell, index);
    }
  });
  return cell;
}

function editToken(cell, index) {
  if (cell.querySelector("input")) return;
  const input = document.createElement("input");
  input.type = "number";
  input.min = 0;
  input.max = state.model.codebookSize - 1;
  input.value = state.tokens[index];
  let finished = false;
  const finish = (apply) => {
    // Enter or Escape replaces the cell, which blurs the input: only the first of these counts.
    if (finished) return;
    finished = true;
    const id = Number(input.value);
    if (apply && Number.isInteger(id) && id >= 0 && id < state.model.codebookSize && id !== state.tokens[index]) {
      setToken(index, id);
    } else {
      cell.replaceWith(tokenCell(index, state.tokens[index], cell.classList.contains("edited")));
    }
  };
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") finish(true);
    if (e.key === "Escape") finish(false);
  });
  input.addEventListener("blur", () => finish(true));
  cell.replaceChildren(input);
  input.focus();
  input.select();
}

/** Changes one token and decodes the tokens again. */
async function setToken(index, id) {
  state.tokens[index] = id;
  $("grid").children[index].replaceWith(tokenCell(index, id, true));
  await detokenize();
}

async function detokenize() {
  const edit = ++state.edit;
  status("decoding the edited tokens…");
  try {
    const response = await api("/api/detokenize", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: state.model.name, tokens: state.tokens }),
    });
    const png = await response.blob();
    if (edit !== state.edit) return; // a later edit is on its way
    URL.revokeObjectURL($("reconstruction").dataset.blob || "");
    const url = URL.createObjectURL(png);
    $("reconstruction").dataset.blob = url;
    $("reconstruction").src = url;
    $("reconstruction-caption").textContent = `decoded from the edited tokens`;
    status("decoded the edited tokens");
    document.body.dataset.state = "edited";
  } catch (e) {
    status(e.message, true);
  }
}

async function generate() {
  const m = state.model;
  status(`generating with ${m.name}…`);
  try {
    const result = await (await api("/api/generate", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: m.name, class: $("class").value, count: Number($("count").value), seed: Number($("seed").value) }),
    })).json();
    $("samples").replaceChildren(...result.samples.map((sample, i) => {
      const img = new Image();
      img.src = sample.image;
      img.alt = `${result.className}, sample ${i}`;
      img.title = `tokens: ${sample.tokens.join(" ")}`;
      return img;
    }));
    status(`${result.samples.length} samples of ${result.className} in ${result.ms} ms`);
    document.body.dataset.generated = "true";
  } catch (e) {
    status(e.message, true);
  }
}

function setUpDrop() {
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files.length) tokenize(e.dataTransfer.files[0]);
  });
  $("file").addEventListener("change", () => { if ($("file").files.length) tokenize($("file").files[0]); });
}

async function start() {
  setUpDrop();
  $("generate-form").addEventListener("submit", (e) => { e.preventDefault(); generate(); });
  try {
    const info = await (await api("/api/models")).json();
    state.models = info.models;
    state.limits = info.limits;
    $("model").replaceChildren(...info.models.map((m) => new Option(m.name, m.name)));
    if (params.has("model")) $("model").value = params.get("model");
    $("model").addEventListener("change", showModel);
    showModel();
    // ?example=1 runs the page on the server's example image without user interaction (browser tests, screenshots);
    // &edit=INDEX:ID then edits a token as a click would, &generate=CLASS generates samples of that class.
    if (params.get("example") === "1") {
      await tokenize(await (await api("/api/example")).blob());
      if (params.has("edit") && state.tokens) {
        const [index, id] = params.get("edit").split(":").map(Number);
        await setToken(index, id);
      }
      if (params.has("generate") && state.model.generator) {
        $("class").value = params.get("generate");
        await generate();
      }
    }
  } catch (e) {
    status(e.message, true);
  }
}

start();
