"""The Gradio app. Only app.py imports this package; nothing below it imports Gradio."""
