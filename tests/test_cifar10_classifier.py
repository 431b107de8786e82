"""gan_course.metrics.features' CIFAR-10 classifier: its augmentation, training, cache and errors.

CIFAR-10 is not offline, so the classifier trains here on stand-in images (``stand_in_cifar10``)
with a tiny recipe (8 channels, 6 epochs: about 2 s on one thread); the full recipe's accuracy
on CIFAR-10 itself can only be checked where CIFAR-10 is (``cifar10_classifier(root)``).
"""

import re

import pytest
import torch
from stand_in_cifar10 import HELD_OUT_IMAGES, use_stand_in_cifar10

from gan_course.data.images import load_images
from gan_course.metrics import features
from gan_course.metrics.features import (
    CIFAR10Classifier,
    CIFAR10Recipe,
    ClassifierDataMissing,
    cache_file,
    cifar10_cache_file,
    cifar10_classifier,
    classifier_features,
    classifier_probabilities,
    random_crops_and_flips,
    train_cifar10_classifier,
)
from gan_course.metrics.scores import classifier_score

TINY_RECIPE = CIFAR10Recipe(width=8, epochs=6, batch_size=50)


def is_one_sentence(text: str) -> bool:
    return text.endswith(".") and not re.search(r"[.;:] [A-Z]", text) and "\n" not in text


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache and memo, the stand-in CIFAR-10 and the tiny recipe, for one test."""
    monkeypatch.setenv(features.CACHE_ENV_VAR, str(tmp_path))
    monkeypatch.setattr(features, "_memo", {})
    monkeypatch.setattr(features, "CIFAR10_RECIPE", TINY_RECIPE)
    use_stand_in_cifar10(monkeypatch)
    return tmp_path


@pytest.fixture(scope="module")
def stand_in_splits():
    with pytest.MonkeyPatch.context() as patch:
        use_stand_in_cifar10(patch)
        return tuple(load_images("cifar10", split=split, root="unused") for split in ("train", "held_out"))


# --------------------------------------------------------------------------- the augmentation


def test_random_crops_and_flips_cut_each_image_from_its_reflected_padding_mirrored_half_the_time():
    images = torch.arange(20 * 2 * 6 * 6, dtype=torch.float32).reshape(20, 2, 6, 6)  # every pixel distinct
    padding = 2
    padded = torch.nn.functional.pad(images, (padding,) * 4, mode="reflect")
    crops = random_crops_and_flips(images, padding, torch.Generator().manual_seed(0))
    assert crops.shape == images.shape
    mirrored = 0
    for image, crop in zip(padded, crops):
        offsets = range(2 * padding + 1)
        candidates = {(top, left, mirror): image[:, top:top + 6, left:left + 6].flip(-1) if mirror
                      else image[:, top:top + 6, left:left + 6]
                      for top in offsets for left in offsets for mirror in (0, 1)}
        matches = [key for key, candidate in candidates.items() if torch.equal(candidate, crop)]
        assert len(matches) == 1, matches
        mirrored += matches[0][2]
    assert 4 <= mirrored <= 16  # about half of the 20
    # seeded, and without padding only the mirroring is left
    assert torch.equal(crops, random_crops_and_flips(images, padding, torch.Generator().manual_seed(0)))
    unpadded = random_crops_and_flips(images, 0, torch.Generator().manual_seed(1))
    assert all(torch.equal(crop, image) or torch.equal(crop, image.flip(-1))
               for crop, image in zip(unpadded, images))


# --------------------------------------------------------------------------- training


def test_the_classifier_learns_separable_classes_deterministically_and_leaves_the_rng_alone(stand_in_splits):
    train, held_out = stand_in_splits
    random_state = torch.random.get_rng_state()
    classifier = train_cifar10_classifier(train, held_out, seed=0, recipe=TINY_RECIPE, device="cpu")
    assert torch.equal(torch.random.get_rng_state(), random_state)  # a notebook's later draws unchanged
    assert classifier.held_out_accuracy >= 0.95  # measured: 1.0 (chance: 0.1)
    assert classifier.data == "cifar10" and not classifier.training
    assert not any(parameter.requires_grad for parameter in classifier.parameters())
    assert classifier_features(classifier, held_out.images).shape == (HELD_OUT_IMAGES, 32)  # 4 · width
    probabilities = classifier_probabilities(classifier, held_out.images)
    assert torch.allclose(probabilities.sum(dim=1), torch.ones(HELD_OUT_IMAGES), atol=1e-5)
    # confident on balanced classes: the classifier score of real images nears the 10 classes
    assert classifier_score(probabilities) > 8
    torch.manual_seed(123)  # the global generator's state must not matter
    again = train_cifar10_classifier(train, held_out, seed=0, recipe=TINY_RECIPE, device="cpu")
    for name, weights in classifier.state_dict().items():
        assert torch.equal(weights, again.state_dict()[name]), name


def test_training_needs_a_full_batch(stand_in_splits):
    train, held_out = stand_in_splits
    with pytest.raises(ValueError, match="batches of 1000 images, but the training set holds 600"):
        train_cifar10_classifier(train, held_out, recipe=CIFAR10Recipe(batch_size=1000))


def test_bad_images_get_a_clear_error():
    classifier = CIFAR10Classifier(width=4)
    with pytest.raises(ValueError, match=r"\(N, 3, 32, 32\), got \(4, 1, 28, 28\)"):
        classifier_features(classifier, torch.zeros(4, 1, 28, 28))
    with pytest.raises(TypeError, match="float"):
        classifier_probabilities(classifier, torch.zeros(4, 3, 32, 32, dtype=torch.uint8))
    with pytest.raises(ValueError, match="at least one"):
        classifier(torch.zeros(0, 3, 32, 32))


# --------------------------------------------------------------------------- the cache


def test_the_classifier_is_trained_once_cached_under_its_own_name_and_reloaded_identically(cache, monkeypatch,
                                                                                           capsys):
    classifier = cifar10_classifier(root="unused")
    path = cifar10_cache_file()
    assert path == cache / f"cifar10_classifier_{features.CIFAR10_RECIPE_VERSION}.pt"
    assert "training the CIFAR-10 classifier for FID and the classifier score" in capsys.readouterr().out
    assert [file.name for file in cache.iterdir()] == [path.name]  # no temporary file left
    assert classifier.held_out_accuracy >= 0.95 and cifar10_classifier() is classifier  # the memo
    # the digit classifiers keep their own files, named as lesson 09's stored numbers were computed
    assert cache_file("mnist5k").name == "digit_classifier_mnist5k_v1.pt"
    assert cache_file("digits8").name == "digit_classifier_digits8_v1.pt"

    def refuse(*args, **kwargs):
        raise AssertionError("retrained although the cache holds the weights")

    monkeypatch.setattr(features, "_memo", {})
    monkeypatch.setattr(features, "train_cifar10_classifier", refuse)
    monkeypatch.setattr(features, "load_images", refuse)  # no data read, no accuracy measured again
    reloaded = cifar10_classifier()
    assert reloaded is not classifier and not reloaded.training
    assert (reloaded.data, reloaded.width) == ("cifar10", 8)
    assert reloaded.held_out_accuracy == classifier.held_out_accuracy
    for name, weights in classifier.state_dict().items():
        assert torch.equal(weights, reloaded.state_dict()[name]), name
    images = load_images("cifar10", split="held_out", root="unused").images[:50]
    assert torch.equal(classifier_probabilities(reloaded, images),
                       classifier_probabilities(classifier, images))
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("content", ["garbage", "digit weights"])
def test_a_corrupt_cache_file_is_retrained(cache, capsys, content):
    path = cifar10_cache_file()
    if content == "garbage":
        path.write_bytes(b"not a torch file")
    else:  # readable, but a plain state dict of another network
        torch.save(features.DigitClassifier(8).state_dict(), path)
    classifier = cifar10_classifier()
    assert classifier.held_out_accuracy >= 0.95
    assert f"cached at {path}" in capsys.readouterr().out
    assert set(torch.load(path, weights_only=True)) == {"weights", "width", "held_out_accuracy"}


def test_without_the_cache_or_cifar10_one_sentence_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv(features.CACHE_ENV_VAR, str(tmp_path / "cache"))
    monkeypatch.setattr(features, "_memo", {})
    for root, fix in ((None, "pass root=ROOT"), (tmp_path, "download")):
        with pytest.raises(ClassifierDataMissing) as error:
            cifar10_classifier(root)
        message = str(error.value)
        assert isinstance(error.value, FileNotFoundError)  # a user error to the command line
        kept = tmp_path / "cache" / "cifar10_classifier_v1.pt"
        assert message.startswith("the CIFAR-10 classifier is trained once on CIFAR-10's training split "
                                  f"(then kept in {kept}), which cannot be read because ")
        assert fix in message and is_one_sentence(message), message
    assert not (tmp_path / "cache").exists()
