"""Slack adapter: slash commands, buttons and channel posts through slack-bolt's AsyncApp."""

from adapters.slack.app import SlackAdapter, SlackConfigError, start_slack

__all__ = ["SlackAdapter", "SlackConfigError", "start_slack"]
