"""Quizzes for study groups: question bank, session state machine, manager, review."""
