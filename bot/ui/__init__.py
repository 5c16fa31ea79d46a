"""The Gradio app. Only app.py imports this package (and API clients its replies.py, which names the
replies and loads no Gradio); nothing below it imports Gradio."""
