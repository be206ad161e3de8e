"""Guard mechanics that decide whether a processor runs and record why: smart skip on an event
calendar, dependency completeness, circuit breaker, run logging. Nothing here knows the domain: a
pipeline declares its processors (:mod:`.spec`), its calendar, its state tables (:mod:`.tables`) and
its own skip reasons (:mod:`.skip_reasons`), and the DAG layer wires the guards from them."""
