"""Request bodies that misbehave like real networks do."""

from __future__ import annotations

import io


class Drops(io.BytesIO):
    """A request body whose connection drops after ``after`` bytes."""

    def __init__(self, data: bytes, after: int) -> None:
        super().__init__(data)
        self.after = after

    def read(self, size: int | None = -1, /) -> bytes:
        if self.tell() >= self.after:
            raise OSError("connection reset by peer")
        limit = self.after - self.tell()
        return super().read(limit if size is None or size < 0 else min(size, limit))

    read1 = read

    def readinto(self, buffer) -> int:
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)
