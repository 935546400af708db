"""Convene in Slack, through Bolt: the only package that imports slack_bolt and slack_sdk."""
