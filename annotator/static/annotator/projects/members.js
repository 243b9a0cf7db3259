// Members page: add, change a role, remove, through the JSON API (which records each change).
// After a change the page reloads, so the table and the record show what is stored; except
// after creating a user, whose one-time password stays on screen until the admin reloads.
import { api, describeError, urlFor } from "../api.js";

const config = JSON.parse(document.getElementById("members-config").textContent);
const $ = (id) => document.getElementById(id);
const message = $("mb-message");
const status = $("mb-status");

function fail(body, code) {
  message.textContent = describeError(body, code);
  message.hidden = false;
  status.textContent = "";
}

function done(text) {
  message.hidden = true;
  status.textContent = text;
}

function refresh() {
  if ($("mb-password-card").hidden) window.location.reload();
}

$("mb-add").addEventListener("submit", async (event) => {
  event.preventDefault();
  const username = $("mb-username").value.trim();
  if (!username) {
    fail({ username: ["Type a username."] }, 400);
    return;
  }
  const newUser = $("mb-new-user").checked;
  const body = { username, role: $("mb-role").value };
  if (newUser) body.generate_password = true;
  $("mb-add-submit").disabled = true;
  const { status: code, body: answer } = await api("POST", config.urls.members, body);
  $("mb-add-submit").disabled = false;
  if (code !== 201) {
    fail(answer, code);
    return;
  }
  if (answer.password) {
    $("mb-password-user").textContent = answer.username;
    $("mb-password").textContent = answer.password;
    $("mb-password-card").hidden = false;
    done(`${answer.username} was created and added. Reload the page to see them in the list.`);
    return;
  }
  done(`${answer.username} was added.`);
  refresh();
});

for (const row of document.querySelectorAll("#mb-members tbody tr")) {
  const id = row.dataset.membershipId;
  const username = row.dataset.username;
  const select = row.querySelector(".mb-role");
  select.addEventListener("change", async () => {
    const { status: code, body } = await api("PATCH", urlFor(config.urls.member, id), { role: select.value });
    if (code !== 200) {
      select.value = select.dataset.current;
      fail(body, code);
      return;
    }
    select.dataset.current = body.role;
    done(`${username} is now ${select.options[select.selectedIndex].textContent}.`);
    refresh();
  });
  row.querySelector(".mb-remove").addEventListener("click", async () => {
    if (!window.confirm(`Remove ${username} from this organization?`)) return;
    const { status: code, body } = await api("DELETE", urlFor(config.urls.member, id));
    if (code !== 204) {
      fail(body, code);
      return;
    }
    done(`${username} was removed.`);
    refresh();
  });
}
