"""A live allied exercise: a finished run replayed into the picture service.

Each owner's ground processing becomes a partner client (:mod:`tracklayer.client`) that
posts its national tracks as the simulation clock passes them: :mod:`.plan` cuts the run's
``tracks`` table into messages (:func:`~tracklayer.exercise.plan.plan_messages`),
:mod:`.replay` paces and posts them (:func:`~tracklayer.exercise.replay.replay`), and
:mod:`.cli` is the ``tracklayer exercise`` command. Nothing is imported here, so the
command line starts without loading Arrow or httpx.
"""
