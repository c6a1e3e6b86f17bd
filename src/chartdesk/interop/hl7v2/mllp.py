"""MLLP framing: <VT> message <FS><CR> (0x0B ... 0x1C 0x0D).

The framer is fed bytes as they arrive and hands back complete frames, and, for bytes that cannot
belong to a frame (junk before a start block, a frame opened twice, a frame too long), a framing
error the listener answers with an AR ACK. The connection stays open either way.
"""

from __future__ import annotations

from dataclasses import dataclass

START = b"\x0b"
END = b"\x1c\x0d"
MAX_FRAME_BYTES = 1_000_000


def frame(message: str | bytes) -> bytes:
    body = message.encode("utf-8") if isinstance(message, str) else message
    return START + body + END


@dataclass
class FramingError:
    reason: str
    sample: bytes  # the first bytes of what was discarded, for the message log


class MllpFramer:
    def __init__(self, max_frame: int = MAX_FRAME_BYTES) -> None:
        self.buffer = bytearray()
        self.max_frame = max_frame
        # After an oversized frame was refused, the rest of it is dropped up to its end block, so that
        # one long frame costs one AR, not one per chunk of its tail.
        self.discarding = False

    def feed(self, data: bytes) -> list[bytes | FramingError]:
        """Frames (the bytes between the delimiters) and framing errors, in the order they arrived."""
        self.buffer += data
        found: list[bytes | FramingError] = []
        while self.buffer:
            if self.discarding:
                end = self.buffer.find(END)
                if end == -1:
                    del self.buffer[:max(0, len(self.buffer) - len(END) + 1)]
                    break
                del self.buffer[:end + len(END)]
                self.discarding = False
                continue
            start = self.buffer.find(START)
            if start == -1:
                # A frame can only begin with the start block: whatever else arrives is junk.
                if bytes(self.buffer).strip(b"\r\n\t "):
                    found.append(FramingError("bytes outside an MLLP frame (no start block 0x0B)",
                                              bytes(self.buffer[:80])))
                self.buffer.clear()
                break
            if start > 0:
                junk = bytes(self.buffer[:start])
                del self.buffer[:start]
                if junk.strip(b"\r\n\t "):
                    found.append(FramingError("bytes outside an MLLP frame before a start block", junk[:80]))
            end = self.buffer.find(END)
            restart = self.buffer.find(START, 1)
            if restart != -1 and (end == -1 or restart < end):
                found.append(FramingError("a frame was opened again before it ended (missing 0x1C 0x0D)",
                                          bytes(self.buffer[1:81])))
                del self.buffer[:restart]
                continue
            if (end == -1 and len(self.buffer) - 1 > self.max_frame) or end - 1 > self.max_frame:
                found.append(FramingError(f"a frame longer than {self.max_frame:,} bytes",
                                          bytes(self.buffer[1:81])))
                if end == -1:
                    self.discarding = True
                    del self.buffer[:-1]  # its last byte may be the first half of the end block
                else:
                    del self.buffer[:end + len(END)]
                continue
            if end == -1:
                break
            found.append(bytes(self.buffer[1:end]))
            del self.buffer[:end + len(END)]
        return found
