"""Integrations of agent_os with training frameworks."""
