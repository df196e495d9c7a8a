"""Handing a conversation to a human agent: the queue and its status lifecycle, claiming,
hand-back and closing, agent presence and opening hours, call-back requests, and what the
customer is told along the way. `service` makes the changes (one call, one audit row); `lifecycle`,
`hours`, `policy` and `conversation` are pure rules."""
