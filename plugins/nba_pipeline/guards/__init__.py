"""Guards that decide whether a processor runs and record why: smart skip, dependency
completeness, circuit breaker, run logging. They know nothing about basketball: every guard is
configured from the processor registry."""
