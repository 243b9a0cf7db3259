"""Quality figures against values worked out by hand (the arithmetic is in the comments).

No database: annotator.quality is pure functions over result dicts.
"""
import json
import math
import random
import subprocess
import sys
from pathlib import Path

import pytest

from annotator.quality import (
    CLASSIFICATION_TYPES,
    agreement,
    box_f1,
    box_iou,
    character_error_rate,
    edit_figure,
    label_agreement,
    match_boxes,
    pairwise_agreement,
    review_acceptance,
    span_f1,
    transcript_text,
    wilson_interval,
    word_error_rate,
)

ALL_TYPES = (*CLASSIFICATION_TYPES, "text_spans", "image_boxes", "audio_transcription", "sft",
             "preference")


def box(x, y, w, h, label="car"):
    return {"x": x, "y": y, "w": w, "h": h, "label": label}


def span(start, end, label):
    return {"start": start, "end": end, "label": label}


# -- Wilson interval --------------------------------------------------------------------------


def test_wilson_interval_of_8_out_of_10_matches_the_published_digits():
    # p = 0.8, z² = 3.841459; denominator = 1 + z²/10 = 1.384146
    # centre = (0.8 + z²/20) / 1.384146 = 0.992073 / 1.384146 = 0.716740
    # half   = z·sqrt(0.8·0.2/10 + z²/400) / 1.384146 = 1.959964·0.160011 / 1.384146 = 0.226578
    # -> (0.490162, 0.943318): the (0.4902, 0.9433) of published Wilson tables
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.490162, abs=1e-6)
    assert high == pytest.approx(0.943318, abs=1e-6)


def test_wilson_interval_of_all_successes_ends_at_one_and_starts_at_n_over_n_plus_z_squared():
    # p = 1: half = z²/(2n)/denominator, so centre + half = 1 and low = n / (n + z²)
    # = 10 / 13.841459 = 0.722467
    low, high = wilson_interval(10, 10)
    assert low == pytest.approx(0.722467, abs=1e-6)
    assert high == pytest.approx(1.0) and high <= 1.0


def test_wilson_interval_without_observations_is_the_whole_range():
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert wilson_interval(0, -3) == (0.0, 1.0)


# -- boxes ------------------------------------------------------------------------------------


def test_box_iou_of_two_offset_squares_is_one_seventh():
    # 0.4 x 0.4 squares offset by 0.2 both ways: intersection 0.2·0.2 = 0.04,
    # union 0.16 + 0.16 - 0.04 = 0.28 -> 0.04 / 0.28 = 1/7
    assert box_iou(box(0, 0, 0.4, 0.4), box(0.2, 0.2, 0.4, 0.4)) == pytest.approx(1 / 7)


def test_box_iou_of_half_shifted_boxes_is_one_third():
    # 0.5 x 0.5 boxes, one shifted by 0.25 in x: intersection 0.25·0.5 = 0.125,
    # union 0.25 + 0.25 - 0.125 = 0.375 -> 1/3
    assert box_iou(box(0, 0, 0.5, 0.5), box(0.25, 0, 0.5, 0.5)) == pytest.approx(1 / 3)


def test_box_iou_is_one_for_the_same_box_and_zero_for_disjoint_or_empty_ones():
    assert box_iou(box(0.1, 0.1, 0.3, 0.3), box(0.1, 0.1, 0.3, 0.3)) == pytest.approx(1.0)
    assert box_iou(box(0, 0, 0.2, 0.2), box(0.5, 0.5, 0.2, 0.2)) == 0.0
    assert box_iou(box(0, 0, 0, 0), box(0, 0, 0, 0)) == 0.0


# Four boxes 0.4 wide in one row (y = 0, h = 0.5), so IoU = shared width / (0.8 - shared width):
# A1 [0.30, 0.70]  B1 [0.25, 0.65]: shared 0.35 -> 0.35 / 0.45 = 7/9
# A1 [0.30, 0.70]  B2 [0.40, 0.80]: shared 0.30 -> 0.30 / 0.50 = 3/5
# A2 [0.15, 0.55]  B1 [0.25, 0.65]: shared 0.30 -> 3/5
# A2 [0.15, 0.55]  B2 [0.40, 0.80]: shared 0.15 -> 0.15 / 0.65 = 3/13 (under 0.5)
# Greedy takes A1-B1 (7/9) first and leaves A2-B2 (3/13): one pair. The best assignment is
# A1-B2 + A2-B1 = 6/5 > 7/9: two pairs.
CROSSED_A = [box(0.30, 0, 0.4, 0.5), box(0.15, 0, 0.4, 0.5)]
CROSSED_B = [box(0.25, 0, 0.4, 0.5), box(0.40, 0, 0.4, 0.5)]


def test_match_boxes_finds_the_assignment_a_greedy_match_would_miss():
    pairs = match_boxes(CROSSED_A, CROSSED_B)
    assert [(i, j) for i, j, _ in pairs] == [(0, 1), (1, 0)]
    assert [iou for _, _, iou in pairs] == pytest.approx([3 / 5, 3 / 5])


def test_match_boxes_never_pairs_boxes_of_different_labels_or_under_the_threshold():
    assert match_boxes([box(0, 0, 0.5, 0.5, "car")], [box(0, 0, 0.5, 0.5, "bus")]) == []
    shifted = [box(0.25, 0, 0.5, 0.5)]  # IoU 1/3 with the box below
    assert match_boxes([box(0, 0, 0.5, 0.5)], shifted) == []
    assert len(match_boxes([box(0, 0, 0.5, 0.5)], shifted, min_iou=0.3)) == 1
    assert match_boxes([], shifted) == [] and match_boxes(shifted, []) == []


def test_box_f1_counts_one_pair_among_two_and_three_boxes_as_two_fifths():
    # car/car: shared width 0.3 of 0.4-wide boxes -> 0.3 / 0.5 = 0.6 >= 0.5, a pair;
    # person vs a far-away person and a tree: no pair. F1 = 2·1 / (2 + 3) = 0.4
    a = [box(0, 0, 0.4, 0.5), box(0.5, 0.5, 0.2, 0.2, "person")]
    b = [box(0.1, 0, 0.4, 0.5), box(0.0, 0.7, 0.1, 0.1, "person"), box(0.8, 0.8, 0.1, 0.1, "tree")]
    assert box_f1(a, b) == pytest.approx(0.4)


def test_box_f1_uses_the_best_assignment_and_defines_the_empty_cases():
    # the crossed boxes above: two pairs of four boxes -> 2·2 / 4 = 1.0 (greedy would give 0.5)
    assert box_f1(CROSSED_A, CROSSED_B) == pytest.approx(1.0)
    assert box_f1([], []) == 1.0
    assert box_f1([box(0, 0, 0.1, 0.1)], []) == 0.0


# -- spans ------------------------------------------------------------------------------------


def test_span_f1_of_one_exact_match_among_three_and_four_spans_is_two_sevenths():
    # only (0, 5, PER) is in both; (10, 16) differs by label. precision 1/4, recall 1/3,
    # F1 = 2·(1/4)(1/3) / (1/4 + 1/3) = (1/6) / (7/12) = 2/7
    a = [span(0, 5, "PER"), span(10, 16, "LOC"), span(20, 25, "ORG")]
    b = [span(0, 5, "PER"), span(10, 16, "ORG"), span(30, 35, "PER"), span(40, 45, "LOC")]
    assert span_f1(a, b) == pytest.approx(2 / 7)


def test_span_f1_needs_exact_offsets_and_defines_the_empty_cases():
    assert span_f1([span(0, 5, "PER")], [span(0, 4, "PER")]) == 0.0
    assert span_f1([], []) == 1.0
    assert span_f1([], [span(0, 5, "PER")]) == 0.0


# -- error rates ------------------------------------------------------------------------------


def test_word_error_rate_counts_an_extra_word_over_the_reference_length():
    # one insertion ("down") over 3 reference words = 1/3; the other way one deletion over 4 = 1/4
    assert word_error_rate("the cat sat", "the cat sat down") == pytest.approx(1 / 3)
    assert word_error_rate("the cat sat down", "the cat sat") == pytest.approx(1 / 4)
    # one substitution (cat -> dog) over 3 words
    assert word_error_rate("the cat sat", "the dog sat") == pytest.approx(1 / 3)


def test_character_error_rate_counts_characters_including_spaces():
    # "the cat sat" has 11 characters; " down" inserts 5 -> 5/11
    assert character_error_rate("the cat sat", "the cat sat down") == pytest.approx(5 / 11)
    # kitten -> sitting: k->s, e->i, +g = 3 edits over 6 characters = 1/2
    assert character_error_rate("kitten", "sitting") == pytest.approx(0.5)


@pytest.mark.parametrize("rate", [word_error_rate, character_error_rate])
def test_error_rates_define_empty_references_instead_of_raising(rate):
    assert rate("", "") == 0.0
    assert rate("   ", "") == 0.0
    assert rate("", "something") == 1.0
    assert rate("the cat", "") == 1.0
    assert rate("the cat", "the cat") == 0.0


def test_transcript_text_joins_segment_texts_in_start_order():
    result = {"segments": [
        {"start": 2.0, "end": 3.0, "text": "sat", "label": "A"},
        {"start": 0.0, "end": 1.3, "text": " the cat ", "label": "B"},
        {"start": 1.5, "end": 1.9, "text": ""},
    ]}
    assert transcript_text(result) == "the cat sat"
    assert transcript_text({}) == "" and transcript_text(None) == ""


# -- edit figures -----------------------------------------------------------------------------


@pytest.mark.parametrize("task_type", CLASSIFICATION_TYPES)
def test_edit_figure_of_classification_counts_labels_added_and_removed(task_type):
    # {a, b} -> {b, c}: a removed, c added = 2
    figure = edit_figure(task_type, {"labels": ["a", "b"]}, {"labels": ["b", "c"]})
    assert figure == {"metric": "labels_changed", "value": 2.0}
    assert edit_figure(task_type, {}, {"labels": ["x"]})["value"] == 1.0


def test_edit_figure_of_spans_is_the_span_f1_between_before_and_after():
    # one of two spans relabelled: 1 exact match -> 2·1 / (2 + 2) = 0.5
    before = {"spans": [span(0, 5, "PER"), span(10, 16, "LOC")]}
    after = {"spans": [span(0, 5, "PER"), span(10, 16, "ORG")]}
    assert edit_figure("text_spans", before, after) == {"metric": "span_f1", "value": 0.5}


def test_edit_figure_of_boxes_averages_matched_iou_over_the_larger_box_count():
    # car moved by 0.2 both ways: IoU 1/7 (as above); person deleted: 0.
    # (1/7 + 0) / max(2, 1) = 1/14
    before = {"boxes": [box(0, 0, 0.4, 0.4), box(0.6, 0.6, 0.2, 0.2, "person")]}
    after = {"boxes": [box(0.2, 0.2, 0.4, 0.4)]}
    figure = edit_figure("image_boxes", before, after)
    assert figure["metric"] == "box_iou"
    assert figure["value"] == pytest.approx(1 / 14)
    assert edit_figure("image_boxes", before, before)["value"] == pytest.approx(1.0)
    assert edit_figure("image_boxes", {"boxes": []}, {})["value"] == 1.0


def test_edit_figure_of_a_transcription_is_the_cer_of_the_ordered_texts():
    # before reads "the cat sat" (segments out of order), after "the cat sat down": 5/11
    before = {"segments": [{"start": 1.0, "end": 2.0, "text": "sat"},
                           {"start": 0.0, "end": 1.0, "text": "the cat"}]}
    after = {"segments": [{"start": 0.0, "end": 2.5, "text": "the cat sat down"}]}
    figure = edit_figure("audio_transcription", before, after)
    assert figure["metric"] == "cer"
    assert figure["value"] == pytest.approx(5 / 11)


def test_edit_figure_of_sft_is_the_cer_of_the_responses():
    figure = edit_figure("sft", {"response": "kitten"}, {"response": "sitting"})
    assert figure == {"metric": "cer", "value": pytest.approx(0.5)}


def test_edit_figure_of_a_preference_says_whether_the_choice_flipped():
    assert edit_figure("preference", {"choice": "A"}, {"choice": "B"}) == {
        "metric": "choice_flipped", "value": 1.0}
    unchanged = edit_figure("preference", {"choice": "A", "reason": "x"}, {"choice": "A"})
    assert unchanged["value"] == 0.0


@pytest.mark.parametrize("task_type", ALL_TYPES)
def test_edit_figure_treats_missing_keys_as_empty_and_returns_a_finite_number(task_type):
    for before, after in [({}, {}), (None, {}), ({}, None)]:
        value = edit_figure(task_type, before, after)["value"]
        assert isinstance(value, float) and math.isfinite(value)


def test_edit_figure_refuses_an_unknown_task_type():
    with pytest.raises(ValueError):
        edit_figure("video_tracking", {}, {})


# -- label agreement --------------------------------------------------------------------------


def test_cohen_kappa_of_a_known_two_by_two_table_is_0_4():
    #              rater 2: yes   no
    # rater 1: yes          20     5     (25)
    #          no           10    15     (25)
    #                      (30)  (20)     50
    # observed p_o = (20 + 15) / 50 = 0.7
    # expected p_e = 0.5·0.6 + 0.5·0.4 = 0.5
    # kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4
    rows = [["yes", "yes"]] * 20 + [["yes", "no"]] * 5 + [["no", "yes"]] * 10 + [["no", "no"]] * 15
    figure = label_agreement(rows)
    assert figure["metric"] == "cohen_kappa"
    assert figure["value"] == pytest.approx(0.4)
    assert figure["tasks"] == 50
    assert figure["observed_agreement"] == pytest.approx(0.7)


def test_cohen_kappa_of_complete_disagreement_on_balanced_labels_is_minus_one():
    # p_o = 0; both raters say a half the time: p_e = 0.5·0.5 + 0.5·0.5 = 0.5 -> (0 - 0.5)/0.5
    assert label_agreement([["a", "b"], ["b", "a"]])["value"] == pytest.approx(-1.0)


def test_krippendorff_alpha_of_a_small_matrix_with_a_missing_rating_is_one_third():
    # Coincidences: each ordered pair of values within a task adds 1 / (m_task - 1).
    # t1 a a a: 6 (a,a) pairs · 1/2 -> o_aa += 3
    # t2 a a b: 2 (a,a) + 2 (a,b) + 2 (b,a), · 1/2 -> o_aa += 1, o_ab += 1, o_ba += 1
    # t3 b b b: o_bb += 3
    # t4 a b:   (a,b) + (b,a), · 1 -> o_ab += 1, o_ba += 1
    # o_aa = 4, o_bb = 3, o_ab = o_ba = 2; n = 11, n_a = 6, n_b = 5
    # D_o = (2 + 2) / 11, D_e = 2·6·5 / (11·10) = 6/11 -> alpha = 1 - 4/6 = 1/3
    # observed agreement per task: 1, 1/3, 1, 0 -> 7/12
    figure = label_agreement([["a", "a", "a"], ["a", "a", "b"], ["b", "b", "b"], ["a", "b"]])
    assert figure["metric"] == "krippendorff_alpha"
    assert figure["value"] == pytest.approx(1 / 3)
    assert figure["tasks"] == 4
    assert figure["observed_agreement"] == pytest.approx(7 / 12)


def test_krippendorff_alpha_of_the_textbook_example_is_0_743():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the 4 observers x
    # 12 units nominal example worked through there: alpha = 0.743. Unit 12 has one value and
    # is left out, so 11 tasks count.
    rows = [["1", "1", "1"], ["2", "2", "3", "2"], ["3", "3", "3", "3"], ["3", "3", "3", "3"],
            ["2", "2", "2", "2"], ["1", "2", "3", "4"], ["4", "4", "4", "4"], ["1", "1", "2", "1"],
            ["2", "2", "2", "2"], ["5", "5", "5"], ["1", "1"], ["3"]]
    figure = label_agreement(rows)
    assert figure["value"] == pytest.approx(0.743, abs=5e-4)
    assert figure["tasks"] == 11


@pytest.mark.parametrize("rows", [[["pos", "pos"]] * 5, [["pos", "pos", "pos"], ["pos", "pos"]]])
def test_identical_ratings_leave_the_statistic_undefined_but_observed_agreement_whole(rows):
    # one category everywhere: expected disagreement is 0, the statistic 0/0
    figure = label_agreement(rows)
    assert figure["value"] is None
    assert figure["observed_agreement"] == 1.0


def test_label_agreement_needs_two_tasks_with_two_ratings():
    figure = label_agreement([["a", "b"], ["a"], []])
    assert figure == {"metric": "cohen_kappa", "value": None, "tasks": 1,
                      "observed_agreement": 0.0}
    assert label_agreement([])["value"] is None
    assert label_agreement([])["observed_agreement"] is None


def test_agreement_of_multi_label_results_treats_each_label_set_as_one_category():
    # categories "a|b" and "a": pairs (a|b, a|b), (a, a|b), (a, a). p_o = 2/3
    # rater 1: a|b 1/3, a 2/3; rater 2: a|b 2/3, a 1/3 -> p_e = 2/9 + 2/9 = 4/9
    # kappa = (2/3 - 4/9) / (5/9) = 2/5
    rows = [[{"labels": ["b", "a"]}, {"labels": ["a", "b"]}],
            [{"labels": ["a"]}, {"labels": ["a", "b"]}],
            [{"labels": ["a"]}, {"labels": ["a"]}]]
    figure = agreement("text_classification", rows)
    assert figure["metric"] == "cohen_kappa"
    assert figure["value"] == pytest.approx(0.4)


# -- pairwise agreement -----------------------------------------------------------------------


def test_span_agreement_averages_over_pairs_then_over_tasks():
    # task 1: A = B = {s1, s2}, C = {s1}: pairs 1, 2/3, 2/3 -> 7/9. task 2: both empty -> 1.
    # (7/9 + 1) / 2 = 8/9
    s1, s2 = span(0, 5, "PER"), span(10, 16, "LOC")
    rows = [[{"spans": [s1, s2]}, {"spans": [s2, s1]}, {"spans": [s1]}],
            [{"spans": []}, {}]]
    assert pairwise_agreement("text_spans", rows) == {
        "metric": "span_f1", "value": pytest.approx(8 / 9), "tasks": 2}


def test_box_agreement_is_box_f1_at_iou_one_half():
    # task 1: the same box -> 1.0; task 2: IoU 1/3 < 0.5 -> 0.0; mean 0.5
    rows = [[{"boxes": [box(0, 0, 0.5, 0.5)]}, {"boxes": [box(0, 0, 0.5, 0.5)]}],
            [{"boxes": [box(0, 0, 0.5, 0.5)]}, {"boxes": [box(0.25, 0, 0.5, 0.5)]}]]
    assert pairwise_agreement("image_boxes", rows)["value"] == pytest.approx(0.5)


def test_transcript_and_response_agreement_is_the_wer_averaged_over_both_directions():
    # "the cat sat" as reference: 1/3; "the cat sat down" as reference: 1/4 -> 7/24
    transcripts = [[{"segments": [{"start": 0, "end": 1, "text": "the cat sat"}]},
                    {"segments": [{"start": 0, "end": 1, "text": "the cat sat down"}]}]]
    responses = [[{"response": "the cat sat"}, {"response": "the cat sat down"}]]
    assert pairwise_agreement("audio_transcription", transcripts) == {
        "metric": "wer", "value": pytest.approx(7 / 24), "tasks": 1}
    assert agreement("sft", responses)["value"] == pytest.approx(7 / 24)


def test_preference_agreement_is_the_share_of_pairs_with_the_same_choice():
    # task 1: A, A, B -> pairs AA, AB, AB -> 1/3; task 2: tie, tie -> 1; mean 2/3
    rows = [[{"choice": "A"}, {"choice": "A"}, {"choice": "B"}],
            [{"choice": "tie", "reason": "both fine"}, {"choice": "tie"}]]
    assert agreement("preference", rows) == {
        "metric": "preference_agreement", "value": pytest.approx(2 / 3), "tasks": 2}


def test_pairwise_agreement_without_a_pair_has_no_value():
    assert pairwise_agreement("sft", [[{"response": "x"}], []]) == {
        "metric": "wer", "value": None, "tasks": 0}


def test_pairwise_agreement_refuses_categorical_and_unknown_types():
    with pytest.raises(ValueError):
        pairwise_agreement("text_classification", [])
    with pytest.raises(ValueError):
        agreement("video_tracking", [])


@pytest.mark.parametrize("task_type", ALL_TYPES)
def test_no_agreement_figure_ever_contains_nan(task_type):
    empty = [[{}, {}], [None, {}], [{}]]
    json.dumps(agreement(task_type, empty), allow_nan=False)
    json.dumps(agreement(task_type, []), allow_nan=False)
    json.dumps(label_agreement([["x", "x"], ["x", "x", "x"]]), allow_nan=False)


# -- review -----------------------------------------------------------------------------------


def test_review_acceptance_counts_corrections_as_kept_but_not_accepted():
    # 6 accepted, 2 corrected, 2 rejected of 10: accepted 6/10, kept (6 + 2)/10
    assert review_acceptance(6, 2, 2) == {
        "accepted": 6, "corrected": 2, "rejected": 2, "reviewed": 10,
        "acceptance_rate": 0.6, "kept_rate": 0.8}


def test_review_acceptance_without_reviews_has_no_rates():
    figure = review_acceptance(0, 0, 0)
    assert figure["reviewed"] == 0
    assert figure["acceptance_rate"] is None and figure["kept_rate"] is None


# -- cost of importing ------------------------------------------------------------------------


def test_importing_the_module_loads_none_of_the_heavy_libraries():
    heavy = ["numpy", "scipy", "sklearn", "krippendorff", "jiwer"]
    script = (
        "import sys, annotator.quality; "
        f"print([m for m in {heavy!r} if m in sys.modules])"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("seed", range(20))
def test_kappa_and_alpha_equal_the_libraries_on_random_ratings(seed):
    # The web process computes both without scikit-learn, NumPy or `krippendorff`; these are the
    # references, on random tables of two to five categories and two to four raters a task.
    import krippendorff
    import numpy as np
    from sklearn.metrics import cohen_kappa_score

    rng = random.Random(seed)
    categories = [f"c{i}" for i in range(rng.randint(2, 5))]
    pairs = [[rng.choice(categories), rng.choice(categories)] for _ in range(rng.randint(5, 60))]
    kappa = label_agreement(pairs)["value"]
    reference = cohen_kappa_score(*zip(*pairs), labels=sorted({v for p in pairs for v in p}))
    assert kappa == pytest.approx(reference)

    rows = [[rng.choice(categories) for _ in range(rng.randint(2, 4))]
            for _ in range(rng.randint(5, 60))]
    rows.append(["c0", "c1", "c0"])  # at least one task with three ratings: alpha
    figure = label_agreement(rows)
    code = {category: i for i, category in enumerate(categories)}
    data = np.full((4, len(rows)), np.nan)
    for task, row in enumerate(rows):
        data[: len(row), task] = [code[value] for value in row]
    assert figure["metric"] == "krippendorff_alpha"
    assert figure["value"] == pytest.approx(
        krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    )
