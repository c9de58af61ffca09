"""The look of the web chat: a theme with fonts Gradio serves itself (no font CDN), and our CSS."""

from __future__ import annotations

from index import offline

offline.prepare()

import gradio as gr  # noqa: E402

THEME = gr.themes.Default(
    primary_hue="indigo",
    neutral_hue="slate",
    radius_size="md",
    # weights whose files Gradio ships complete (some others are small subsets)
    font=[gr.themes.LocalFont("IBM Plex Sans", weights=(400, 700)), "ui-sans-serif", "sans-serif"],
    font_mono=[
        gr.themes.LocalFont("IBM Plex Mono", weights=(400, 700)),
        "ui-monospace",
        "monospace",
    ],
)

CSS = """
.gradio-container { max-width: 1280px !important; margin: 0 auto !important; }
.app-header h1 { font-size: 1.9rem; font-weight: 700; margin: .2rem 0 .1rem; letter-spacing: -.01em; }
.app-header p { color: var(--body-text-color-subdued); margin: 0; font-size: 1.02rem; }
.cite-sample { color: var(--color-accent); font-weight: 600; }

details.corpus { margin-top: .35rem; color: var(--body-text-color-subdued); font-size: .95rem; }
details.corpus summary { cursor: pointer; list-style-position: inside; }
details.corpus i { color: var(--body-text-color); }
details.corpus ul { margin: .4rem 0 0 1.2rem; max-height: 12rem; overflow: auto; }

#chat .answer, #chat .refusal, #chat .notice { line-height: 1.55; }
#chat a.cite, .cite-sample {
  display: inline-block; font-size: .78em; font-weight: 700; line-height: 1.3;
  padding: 0 .38em; margin: 0 .12em; border-radius: .7em; vertical-align: .12em;
  background: var(--color-accent-soft); color: var(--color-accent) !important;
  text-decoration: none !important; border: 1px solid transparent; cursor: pointer;
}
#chat a.cite:hover, #chat a.cite:focus-visible {
  border-color: var(--color-accent); outline: none;
}
#chat .streaming::after { content: "▍"; margin-left: .15em; color: var(--color-accent); }
#chat .answer p { margin: 0 0 .35rem; }
#chat .answer ul { margin: .2rem 0 .2rem 1.1rem; padding: 0; }
#chat .answer li { margin: .15rem 0; }
#chat .stage { color: var(--body-text-color-subdued); font-size: .92rem; display: flex; align-items: center; gap: .45rem; }
#chat .spinner {
  display: inline-block; width: .8rem; height: .8rem; border-radius: 50%; flex: none;
  border-style: solid !important; border-width: 2px !important;
  border-color: var(--border-color-primary) !important;
  border-top-color: var(--color-accent) !important;
  animation: assistant-spin .9s linear infinite;
}
@keyframes assistant-spin { to { transform: rotate(360deg); } }
#chat .draft { color: var(--body-text-color-subdued); opacity: .8; margin-top: .35rem; font-size: .93rem; }
#chat .draft-tag {
  display: block; font-size: .7rem; font-weight: 700; text-transform: uppercase;
  letter-spacing: .05em; margin-bottom: .15rem;
}
.muted { color: var(--body-text-color-subdued); }
.evidence-list ol { padding-left: 1.2rem; }
.evidence-list blockquote { margin: .2rem 0 .6rem; font-size: .9rem; }
#chat .refusal { color: var(--body-text-color-subdued); font-style: italic; }
#chat .refusal p { margin: .25rem 0 0; }
#chat table.listing { border-collapse: collapse; margin-top: .4rem; font-size: .9em; }
#chat table.listing th, #chat table.listing td { border-bottom: 1px solid var(--border-color-primary); padding: .2rem .5rem; text-align: left; vertical-align: top; }
#chat table.listing td:first-child, #chat table.listing th:first-child { white-space: nowrap; width: 1%; }
#chat table.listing td:nth-child(3), #chat table.listing th:nth-child(3) { white-space: nowrap; min-width: 6.5em; }
.refusal-tag {
  display: inline-block; font-style: normal; font-size: .75rem; font-weight: 700;
  text-transform: uppercase; letter-spacing: .05em; padding: .05rem .5rem; border-radius: 1rem;
  border: 1px dashed var(--border-color-primary); color: var(--body-text-color-subdued);
}
#chat .notice {
  border-left: 3px solid #d97706; padding: .1rem .6rem; color: var(--body-text-color);
}

#question .submit-button {
  background: var(--button-primary-background-fill); color: var(--button-primary-text-color);
  font-weight: 600; padding: 0 1.1rem; border-radius: var(--radius-md);
}
#question .submit-button:hover { background: var(--button-primary-background-fill-hover); }
.app-header { gap: .35rem !important; margin-bottom: .4rem; }

.chat-tools { align-items: center; gap: .75rem; }
.hint { color: var(--body-text-color-subdued); font-size: .85rem; }
#question-count { margin-left: 1rem; font-variant-numeric: tabular-nums; }
#question-count.full { color: #b45309; font-weight: 600; }
.source-outlet { color: var(--body-text-color-subdued); }

.side { gap: .5rem !important; }
.panel-title {
  font-size: .8rem !important; font-weight: 700 !important; text-transform: uppercase;
  letter-spacing: .08em; color: var(--body-text-color-subdued) !important; margin: .2rem 0 0 !important;
}
.sources { display: flex; flex-direction: column; gap: .6rem; }
.sources-empty, .article-empty {
  color: var(--body-text-color-subdued); border: 1px dashed var(--border-color-primary);
  border-radius: var(--radius-lg); padding: .9rem 1rem; font-size: .95rem;
}
.sources-for { font-size: .85rem; color: var(--body-text-color-subdued); font-style: italic; }
.source {
  border: 1px solid var(--border-color-primary); border-radius: var(--radius-lg);
  padding: .65rem .8rem; background: var(--background-fill-primary);
  transition: border-color .2s, box-shadow .2s;
}
.source.active, .source:target {
  border-color: var(--color-accent); box-shadow: 0 0 0 3px var(--color-accent-soft);
}
.source header, .article-head { display: flex; gap: .55rem; align-items: flex-start; }
.source-n {
  flex: none; width: 1.45rem; height: 1.45rem; border-radius: 50%; display: inline-flex;
  align-items: center; justify-content: center; font-size: .8rem; font-weight: 700;
  background: var(--color-accent); color: white;
}
.source-title { font-weight: 600; line-height: 1.3; }
.source-date { color: var(--body-text-color-subdued); font-size: .85em; margin-left: .5em; white-space: nowrap; }
.source-url { margin-left: auto; margin-right: .75em; font-size: .85em; }
.source .passage { margin: .45rem 0; font-size: .93rem; line-height: 1.5; color: var(--body-text-color-subdued); }
.source footer { display: flex; justify-content: space-between; align-items: center; gap: .5rem; font-size: .8rem; }
.source code, .article-head code {
  font-size: .75rem; color: var(--body-text-color-subdued); background: var(--background-fill-secondary);
  padding: .05rem .35rem; border-radius: .3rem;
}
.open-article, .summarize { color: var(--color-accent) !important; font-weight: 600; text-decoration: none !important; }
.summarize { margin-left: auto; margin-right: .75em; }
.open-article:hover, .open-article:focus-visible { text-decoration: underline !important; }

mark { background: #fde68a; color: #1f2937; padding: 0 .1em; border-radius: .15em; }
.dark mark { background: #a16207; color: #fff; }

.article {
  border: 1px solid var(--border-color-primary); border-radius: var(--radius-lg);
  background: var(--background-fill-primary);
}
.article-head { padding: .7rem .9rem; border-bottom: 1px solid var(--border-color-primary); }
.article-head h3 { margin: 0 0 .2rem !important; font-size: 1.05rem !important; line-height: 1.3; }
.article-body {
  max-height: 340px; overflow-y: auto; padding: .8rem .9rem; white-space: pre-wrap;
  font-family: Georgia, "Liberation Serif", "Times New Roman", serif; font-size: .95rem; line-height: 1.6;
}
.article-body mark.quote { box-shadow: 0 0 0 2px #f59e0b; }

.status { border-radius: var(--radius-md); padding: .5rem .75rem; font-size: .93rem; }
.status-ok { background: #ecfdf5; color: #065f46; border: 1px solid #a7f3d0; }
.status-error { background: #fef2f2; color: #991b1b; border: 1px solid #fecaca; }
.dark .status-ok { background: #064e3b; color: #d1fae5; }
.dark .status-error { background: #7f1d1d; color: #fee2e2; }
"""
