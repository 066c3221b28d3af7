"""Pretoken counting, the first half of BPE training, on its own: counts folders that merge
(:mod:`.shards`), the engines that count (:mod:`.engines`: worker processes, or Ray map/reduce,
:mod:`.ray_engine`), the options they share (:mod:`.options`). ``anytok.count`` (in
:mod:`anytok.training`, which knows what each algorithm counts) writes a folder;
``anytok.train(from_counts=...)`` reads it."""
