"""The Gradio app. Only app.py imports this package; nothing below it imports Gradio. The names of
each endpoint's reply, which API clients read too, are in bot/replies.py."""
