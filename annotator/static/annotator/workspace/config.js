// The page's settings (annotator/views.py, project_label), handed over through json_script.
export const config = JSON.parse(document.getElementById("workspace-config").textContent);
