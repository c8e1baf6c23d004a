"""Learning to rank from recorded funnel events: corpus, datasets, training, evaluation."""
