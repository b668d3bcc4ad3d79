"""Where the name `generator=` comes from, as Dropout's docstring and Chapter 5e say:
torch's DataLoader and random_split take a `generator`, torch.nn.Dropout does not (it
draws its masks from torch's global generator). Skipped where torch is absent."""
import inspect

from mlpbook.regularization import Dropout


def test_generator_is_the_dataloaders_name_not_dropouts(torch):
    def names(f):
        return set(inspect.signature(f).parameters)

    assert "generator" not in names(torch.nn.Dropout.__init__)
    assert "generator" not in names(torch.nn.functional.dropout)
    assert "generator" in names(torch.utils.data.DataLoader.__init__)
    assert "generator" in names(torch.utils.data.random_split)
    assert "torch.nn.Dropout has no such argument" in " ".join(Dropout.__doc__.split())
    assert Dropout(0.5, generator=3).rng.random() == Dropout(0.5, rng=3).rng.random()
