"""The commands of Wirewatch: declared once, run by one platform-neutral service.

- `table` declares every command (name, arguments with help, permission, handler) with the
  vocabulary of `spec`; Slack's text parsing (`text`), Discord's command tree, the CLI's
  subparsers and the Slack manifest's command list are generated from it.
- `service` (`CommandService`) runs them: parse, authorise, act, and return a `reply.Reply`
  that each surface renders in its own words.

This package file imports nothing, so reading the table costs no database or chat import.
"""
