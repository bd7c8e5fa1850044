"""Map the events and telemetry tables."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Double,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only auto-increments an INTEGER PRIMARY KEY, so BIGINT is used on the others only.
BigId = BigInteger().with_variant(Integer(), "sqlite")

# Source names are diagnostic status names ("hardware_node: Motor stewart_1"), well under this.
SOURCE_LENGTH = 200
KIND_LENGTH = 32
JOINT_LENGTH = 64
# A writer-made key per record ("<16 hex>-<counter>"): a batch retried after a commit whose
# outcome was lost with the connection is then inserted at most once.
UID_LENGTH = 40


# Fixed constraint names, so that migrations name them the same on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declare the tables of the bridge's database."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Event(Base):
    """One audit-log row: diagnostic level change, component state change, fault or command."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    uid: Mapped[str] = mapped_column(String(UID_LENGTH), unique=True)
    time: Mapped[float] = mapped_column(Double, index=True)
    level: Mapped[int] = mapped_column(SmallInteger, index=True)
    source: Mapped[str] = mapped_column(String(SOURCE_LENGTH), index=True)
    kind: Mapped[str] = mapped_column(String(KIND_LENGTH), index=True)
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Telemetry(Base):
    """Aggregate of one joint's positions over one window (1 s by default)."""

    __tablename__ = "telemetry"
    __table_args__ = (Index("ix_telemetry_joint_start", "joint", "start_time"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    uid: Mapped[str] = mapped_column(String(UID_LENGTH), unique=True)
    joint: Mapped[str] = mapped_column(String(JOINT_LENGTH))
    start_time: Mapped[float] = mapped_column(Double, index=True)
    end_time: Mapped[float] = mapped_column(Double)
    count: Mapped[int] = mapped_column(Integer)
    mean: Mapped[float] = mapped_column(Double)
    minimum: Mapped[float] = mapped_column(Double)
    maximum: Mapped[float] = mapped_column(Double)
    last: Mapped[float] = mapped_column(Double)


class Heartbeat(Base):
    """The single row (id 1) that the health check updates: a check that really writes."""

    __tablename__ = "heartbeat"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    time: Mapped[float] = mapped_column(Double)
