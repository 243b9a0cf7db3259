// The page's settings (annotator/review_views.py), handed over through json_script.
export const config = JSON.parse(document.getElementById("review-config").textContent);
