"""What every family shares: the contract (``contract``), budgets and the one training loop
(``training``), seeds (``rng``), user-fixable errors (``errors``), shipped weights and their
recipes (``weights``) and torch's CPU setup (``torch_setup``)."""
