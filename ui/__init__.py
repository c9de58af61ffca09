"""The Gradio web chat (`assistant chat`); `ui.app.launch` serves it. Imports nothing heavy."""
