"""End-to-end tests: the bot as a process, against local fakes of Slack and Discord."""
