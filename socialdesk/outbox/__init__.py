"""The outbox (CH7): every reply, like and retweet goes out through here, once."""
