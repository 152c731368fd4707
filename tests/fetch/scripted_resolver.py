"""A resolver that answers from a script, for DNS-rebinding and allow-list tests."""

from __future__ import annotations


class ScriptedResolver:
    """Answer host names from a script; a list of answers is consumed one call at a time."""

    def __init__(self, answers: dict[str, list[str] | list[list[str]]]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        answer = self.answers[host]
        if answer and isinstance(answer[0], list):
            script: list[list[str]] = answer  # type: ignore[assignment]
            return script.pop(0) if len(script) > 1 else script[0]
        return list(answer)  # type: ignore[arg-type]
