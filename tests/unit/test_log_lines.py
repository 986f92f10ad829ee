"""The log's line batcher: the lines of one event-loop turn go out in one write, each whole."""

from __future__ import annotations

import asyncio
import io

from service.log import LineBatcher


class CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


async def test_lines_of_one_loop_turn_are_written_once_at_its_end():
    """Three lines logged in one turn: nothing written yet, then one write of all three."""
    stream = CountingStream()
    lines = LineBatcher(stream)
    for n in range(3):
        lines.write(f'{{"n": {n}}}\n')
        lines.flush()

    before = stream.getvalue()
    await asyncio.sleep(0)

    assert before == ""
    assert stream.getvalue() == '{"n": 0}\n{"n": 1}\n{"n": 2}\n'
    assert stream.writes == 1


def test_outside_an_event_loop_a_line_is_written_at_once():
    """Logging outside a running loop (start-up, a CLI command) writes at once."""
    stream = CountingStream()
    lines = LineBatcher(stream)

    lines.write("start-up\n")
    lines.flush()

    assert stream.getvalue() == "start-up\n"


async def test_a_new_loop_gets_its_own_flush():
    """A flush scheduled on a loop that has ended does not hold back the lines of a new one."""
    stream = CountingStream()
    lines = LineBatcher(stream)
    lines.write("one\n")
    lines.flush()
    lines._scheduled = asyncio.new_event_loop()  # as if scheduled on a loop that is gone
    lines._scheduled.close()

    lines.write("two\n")
    lines.flush()
    await asyncio.sleep(0)

    assert stream.getvalue() == "one\ntwo\n"
