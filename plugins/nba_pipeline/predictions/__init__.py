"""Phase 5: eligible players, five prediction systems, batched workers, grading."""
