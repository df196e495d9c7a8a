"""Entities in customer messages: amounts, dates and times, channels, card kinds, products, risk
levels, banks, card tails, case numbers and currencies.

- `segmentation`, `pipeline`: the spaCy pipeline (blank zh, jieba cut, entity_ruler) built from
  `patterns` (data/entities/*.jsonl and the product catalogue); only these import spaCy.
- `resolve`, `amounts`, `dates`, `context`: pure rules that turn what the ruler found into values
  (5000元 → 5000, 上周五 → an ISO date in Asia/Shanghai, 工行 → 中国工商银行) and drop what the
  words around it show is not meant (千万别, 每个月5号, the tail of a phone number).
- `facts`: reading the entities of a Rasa parse back for the dialogue (complaint intake,
  suitability, case lookup, transfer answers).
"""
