"""The CoT gateway: a partner's live picture as Cursor-on-Target events for TAK.

:mod:`.events` turns track states into CoT XML events (MIL-STD-2525 missile types, stale
times, errors from the covariance) and TAK protobuf; :mod:`.picture` decides which events
each update of the partner's live stream makes; :mod:`.gateway` follows the stream and
writes the events to a TAK server through pytak; :mod:`.cli` is the ``tracklayer cot``
command. Nothing is imported here, so the command line starts without loading pytak.
"""
