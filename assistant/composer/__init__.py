"""The extractive composer: a reader by rules over the same numbered evidence the model reads.

It answers alone when no model is installed, and beside the model its pick is a second
candidate that the pipeline grounds, verifies and decides like the model's."""
