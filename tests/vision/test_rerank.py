"""Re-ranking OCR candidates with a country pack: table-driven, no model."""

from __future__ import annotations

import pytest

from alprd.domain.messages import OcrResult
from alprd.domain.packs import Pack, Packs, confusable_map, load_pack, load_packs
from alprd.vision.rerank import (
    FOREIGN_FORMAT_PENALTY,
    NO_FORMAT_PENALTY,
    PACK_RANK_FACTOR,
    SWAP_CONFIDENCE_SCALE,
    SWAP_PENALTY,
    corrections,
    deletions,
    format_factor,
    rerank,
    swap_factor,
)

ID = load_pack("id")


@pytest.mark.parametrize(
    ("read", "fixed"),
    [
        ("B1234ABC", "B1234ABC"),  # fits: unchanged
        ("8123ABC", "B123ABC"),  # prefix must be letters: 8 -> B
        ("B1Z34ABC", "B1234ABC"),  # middle must be digits: Z -> 2
        ("B12O4AB", "B1204AB"),  # O -> 0 in the number block
        ("B1234A8C", "B1234ABC"),  # suffix must be letters: 8 -> B
        ("D8701UF", "D8701UF"),  # fits as read (D region, digits 8701)
        ("0B1234", "DB1234"),  # 0 -> D, O or Q: DB is a known region, OB and QB are not
        ("AB12345", "AB1234S"),  # five digits cannot be: the last one is a letter
    ],
)
def test_position_rules_fix_confusables(read, fixed):
    result = rerank(OcrResult(read, 0.8, candidates=((read, 0.8),)), ID)
    assert result.text == fixed
    assert ID.matches_format(result.text)


@pytest.mark.parametrize(
    ("candidates", "best"),
    [
        # the best read fits no format and cannot be fixed: a fitting runner-up wins
        ((("B1234ABCD", 0.6), ("B1234ABC", 0.3)), "B1234ABC"),
        # a fitting read beats a fixed read of similar score
        ((("8123ABC", 0.5), ("B123ABC", 0.4)), "B123ABC"),
        # a known region prefix beats an unknown one at equal scores
        ((("C1234AB", 0.5), ("G1234AB", 0.4)), "G1234AB"),
    ],
)
def test_candidates_are_reranked(candidates, best):
    result = rerank(OcrResult(candidates[0][0], candidates[0][1], candidates=candidates), ID)
    assert result.text == best
    assert result.candidates[0][0] == best
    scores = [s for _, s in result.candidates]
    assert scores == sorted(scores, reverse=True)


def test_unfixable_read_is_kept_with_a_lower_score():
    result = rerank(OcrResult("12345678", 0.9, candidates=(("12345678", 0.9),)), ID)
    assert result.text == "12345678"
    assert result.candidates[0][1] < 0.9


def test_pack_without_formats_leaves_the_result_alone():
    result = OcrResult("8123ABC", 0.7, (0.9,) * 7, (("8123ABC", 0.7),), "plate")
    assert rerank(result, Pack(code="xx", name="none", formats=())) == result


def test_char_confidences_kept_when_length_unchanged():
    result = rerank(OcrResult("8123ABC", 0.7, (0.4, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9), (("8123ABC", 0.7),), "plate"), ID)
    assert result.text == "B123ABC"
    # the engine's confidence times the corrected text's share of the re-ranked scores
    share = result.candidates[0][1] / sum(score for _, score in result.candidates)
    assert result.confidence == pytest.approx(0.7 * share, rel=1e-4)
    assert 0.7 * 0.5 < result.confidence < 0.7
    assert result.char_confidences == (0.4, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9)
    assert result.engine == "plate"


def test_confusable_map_is_symmetric():
    m = confusable_map()
    for ch, others in m.items():
        for other in others:
            assert ch in m[other]
    assert set(m["0"]) == {"O", "D", "Q"}


def test_corrections_prefer_fewest_swaps():
    assert corrections("B1Z3SABC", ID) == [("B1235ABC", 2)]
    assert corrections("B1234ABC", ID) == [("B1234ABC", 0)]
    assert corrections("########", ID) == []


SK = load_pack("sk")


@pytest.mark.parametrize(
    ("read", "fixed"),
    [
        ("RK099AN", "RK099AN"),  # fits the Slovak format: unchanged
        ("PP587A0", "PP587AO"),  # the last two are letters: 0 -> O
        ("BA3020Z", "BA302OZ"),
        ("RKB92AE", "RK892AE"),  # a Slovak read beats the Polish format it fits as read
        ("NO45OAM", "NO450AM"),  # a Slovak read of a known district beats the British format
        ("WA56660", "WA56660"),  # a Polish plate fits its own format: left alone
        ("4B40262", "4B40262"),  # a Czech plate: left alone
        ("0Y09FEU", "OY09FEU"),  # a British plate: 0 -> O where letters go
        ("PRK884AL", "RK884AL"),  # one character too many (the frame read as P): dropped
        ("GWAGEN", "GWAGEN"),  # a vanity plate fits nothing and nothing fits: kept
    ],
)
def test_slovak_pack_with_foreign_formats(read, fixed):
    assert rerank(OcrResult(read, 0.8, candidates=((read, 0.8),)), SK).text == fixed


def test_yaml_reads_every_region_code_as_text():
    # YAML 1.1 reads a bare NO/YES/ON/OFF as a boolean: every key must stay a plate prefix
    for code in ("id", "sk"):
        pack = load_pack(code)
        assert all(k.isalpha() and k.isupper() for k in pack.regions), code
    assert SK.region_for("NO450AM") == ("NO", "Námestovo")


@pytest.mark.parametrize(
    ("confidences", "best"),
    [
        ((0.99, 0.99, 0.3, 0.99, 0.99, 0.99, 0.99, 0.99), "BY649AG"),  # the unsure H goes
        ((0.3, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99), "YH649AG"),  # the unsure B goes
        ((0.99,) * 8, "BYH649AG"),  # every character sure: nothing is dropped
    ],
)
def test_deletion_drops_the_least_sure_character(confidences, best):
    result = rerank(OcrResult("BYH649AG", 0.8, confidences, (("BYH649AG", 0.8),), "plate"), SK)
    assert result.text == best


def test_deletions_fit_the_format_and_prefer_unsure_characters():
    out = deletions("4B480262", SK, (0.9, 0.9, 0.9, 0.2, 0.9, 0.9, 0.9, 0.9))
    assert out[0][0] == "4B40262"
    assert all(SK.matches_format(text) for text, _ in out)
    assert [f for _, f in out] == sorted((f for _, f in out), reverse=True)
    assert deletions("B1234ABC", ID) and deletions("", SK) == []


def test_swap_factor_prefers_the_likelier_twin():
    assert swap_factor("AB0", "AB0") == 1.0
    assert swap_factor("PP587A0", "PP587AO") == pytest.approx(0.5)
    assert swap_factor("PP587A0", "PP587AO") > swap_factor("PP587A0", "PP587AD") > swap_factor("PP587A0", "PP587AQ")
    assert swap_factor("B1Z3SABC", "B1235ABC") == pytest.approx(0.25)


def test_a_swap_costs_more_the_surer_the_engine_was():
    unsure, sure = (0.5, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9), (0.995, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9)
    assert swap_factor("8123ABC", "B123ABC", unsure) == pytest.approx(SWAP_PENALTY)
    assert swap_factor("8123ABC", "B123ABC", sure) == pytest.approx(SWAP_PENALTY * 0.005 / SWAP_CONFIDENCE_SCALE)
    assert swap_factor("8123ABC", "B123ABC", ()) == pytest.approx(SWAP_PENALTY)  # no confidences: the plain cost


@pytest.mark.parametrize(
    ("first_char_confidence", "best"),
    [
        (0.6, "Z17YH"),  # unsure of the 2: the Indonesian Z region it could be
        (0.999, "217YH"),  # sure of it: a plate from abroad (Taiwan) stays as read
    ],
)
def test_a_sure_foreign_read_is_not_turned_into_a_home_plate(first_char_confidence, best):
    result = OcrResult("217YH", 0.99, (first_char_confidence, 0.99, 0.99, 0.99, 0.99), (("217YH", 0.99),), "plate")
    assert rerank(result, ID).text == best
    # the break-even: a swap wins while its cost stays above the no-format share
    assert (SWAP_PENALTY * (1 - 0.999) / SWAP_CONFIDENCE_SCALE) < NO_FORMAT_PENALTY


def test_a_clear_correction_keeps_a_usable_confidence():
    # the engine's runner-up already fits: the correction is clear, the read is not dropped
    result = rerank(
        OcrResult("BRK019AF", 0.96, (0.77,) + (1.0,) * 7, (("BRK019AF", 0.74), ("RK019AF", 0.16)), "plate"), SK
    )
    assert result.text == "RK019AF" and result.confidence > 0.6


@pytest.mark.parametrize(
    ("codes", "best"),
    [
        (("id", "my"), "B1234ABC"),  # fits only id, listed first: wins at equal scores
        (("my", "id"), "BKA1234"),  # fits only my, listed first: wins at equal scores
    ],
)
def test_several_packs_rank_in_their_order(codes, best):
    candidates = (("B1234ABC", 0.5), ("BKA1234", 0.5))
    result = rerank(OcrResult("B1234ABC", 0.5, candidates=candidates), load_packs(codes))
    assert result.text == best


def test_a_read_that_fits_a_later_pack_is_not_forced_into_the_first():
    packs = load_packs(("id", "vn"))
    # 59T146685 fits no Indonesian format; as a Vietnamese plate it is kept as read
    assert rerank(OcrResult("59T146685", 0.8, candidates=(("59T146685", 0.8),)), packs).text == "59T146685"
    # and is corrected by the Vietnamese rules: a letter, not a digit, after the province
    assert rerank(OcrResult("S9T146685", 0.8, candidates=(("S9T146685", 0.8),)), packs).text == "59T146685"
    assert format_factor("B1234ABC", packs) == 1.0
    assert format_factor("59T146685", packs) == pytest.approx(PACK_RANK_FACTOR)
    assert format_factor("59T146685", load_packs(("vn", "id"))) == 1.0


def test_no_pack_leaves_the_result_alone():
    result = OcrResult("8123ABC", 0.7, (0.9,) * 7, (("8123ABC", 0.7),), "plate")
    assert rerank(result, Packs()) == result


def test_one_pack_and_a_one_pack_set_rerank_alike():
    for read in ("8123ABC", "B1Z34ABC", "0B1234", "12345678"):
        result = OcrResult(read, 0.8, candidates=((read, 0.8),))
        assert rerank(result, ID) == rerank(result, load_packs(("id",)))


@pytest.mark.parametrize("read", ["DCV0TE", "CUST0M", "M0T0RZ", "GR8BUNZ"])
def test_us_personalised_plates_are_kept_as_read(read):
    # each is one swap from a serial shape (DCV07E ...); the pack's foreign_factor keeps them
    us = load_pack("us")
    assert us.foreign_factor == 0.7 and not us.matches_home_format(read)
    assert rerank(OcrResult(read, 0.9, candidates=((read, 0.9),)), us).text == read


def test_us_serial_shapes_rank_the_engines_candidates():
    candidates = (("5EKR79O", 0.5), ("5EKR790", 0.45))  # California 1ABC234 is the runner-up
    assert rerank(OcrResult("5EKR79O", 0.5, candidates=candidates), load_pack("us")).text == "5EKR790"
    assert format_factor("5EKR79O", load_pack("us")) == 0.7
    assert format_factor("WA56660", SK) == FOREIGN_FORMAT_PENALTY  # a pack without its own factor


def test_a_later_pack_does_not_stop_the_first_packs_corrections():
    # PP587A0 fits no Slovak format; 0 -> O makes it one. With the wide eu pack second, the
    # Slovak correction still wins (a swap, 0.5, beats a later pack's fit, PACK_RANK_FACTOR).
    assert PACK_RANK_FACTOR < SWAP_PENALTY
    read = OcrResult("PP587A0", 0.8, candidates=(("PP587A0", 0.8),))
    assert rerank(read, load_packs(("sk", "eu"))).text == "PP587AO"
    # a plate of the second pack that no single swap makes Slovak is kept as read
    assert rerank(OcrResult("M5XSX", 0.8, candidates=(("M5XSX", 0.8),)), load_packs(("sk", "eu"))).text == "M5XSX"
