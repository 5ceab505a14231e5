// The playground page: joins a room on the stand-in that serves it, publishes
// the microphone, plays remote audio and shows transcriptions. Plain script on
// the livekit-client UMD build (global `LivekitClient`), no bundler.
//
// `window.playground` is the page's state for tests and curious humans: read
// it, don't write it.
(() => {
  const { Room, RoomEvent, Track } = LivekitClient;
  // A page left open for hours must not grow without end (transcripts and errors).
  const MAX_TRANSCRIPTS = 200;
  const STATS_INTERVAL_MS = 250;

  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);

  const state = {
    status: 'idle',
    connected: false,
    /** How long `Room.connect` took, token fetch excluded. */
    connectMs: undefined,
    room: '',
    identity: '',
    /** Remote identities in the room now. */
    participants: [],
    microphone: { published: false, packetsSent: 0 },
    /** Summed over every subscribed remote audio track, from the receivers' stats. */
    remoteAudio: { tracks: 0, packetsReceived: 0, level: 0, peakLevel: 0, totalEnergy: 0 },
    /** The addresses of the path media arrives on: `{ local, remote }` as `ip:port`. */
    ice: undefined,
    /** `{ id, identity, local, text, final }`, oldest first. */
    transcripts: [],
    errors: [],
  };
  window.playground = state;

  let room;
  let statsTimer;
  let polling = false;

  $('room').value = params.get('room') || 'playground';
  $('identity').value = params.get('identity') || `user-${Math.random().toString(16).slice(2, 6)}`;

  function setStatus(text, isError = false) {
    state.status = text;
    $('status').textContent = text;
    $('status').classList.toggle('error', isError);
  }

  function fail(error) {
    const message = error instanceof Error ? error.message : String(error);
    state.errors.push(message);
    if (state.errors.length > MAX_TRANSCRIPTS) state.errors.shift();
    setStatus(`Error: ${message}`, true);
    console.error('playground:', error);
  }

  function renderParticipants() {
    state.participants = room ? [...room.remoteParticipants.values()].map((p) => p.identity) : [];
    $('participants').textContent = state.participants.length
      ? `In the room: ${state.participants.join(', ')}`
      : 'Nobody else in the room yet.';
  }

  function upsertTranscript(id, identity, text, final) {
    let entry = state.transcripts.find((t) => t.id === id);
    if (!entry) {
      entry = { id, identity, local: identity === state.identity, text: '', final: false };
      state.transcripts.push(entry);
      if (state.transcripts.length > MAX_TRANSCRIPTS) state.transcripts.shift();
    }
    entry.text = text;
    entry.final = final;
    renderTranscripts();
  }

  function renderTranscripts() {
    const list = $('transcript');
    list.replaceChildren(
      ...state.transcripts.map((t) => {
        const item = document.createElement('li');
        item.className = `${t.local ? 'local' : 'remote'}${t.final ? '' : ' interim'}`;
        const who = document.createElement('span');
        who.className = 'who';
        who.textContent = t.local ? 'You' : t.identity;
        item.append(who, t.text);
        return item;
      }),
    );
  }

  async function pollStats() {
    if (!room) return;
    const totals = { tracks: 0, packetsReceived: 0, level: 0, totalEnergy: 0 };
    for (const participant of room.remoteParticipants.values()) {
      for (const publication of participant.audioTrackPublications.values()) {
        const receiver = publication.track?.receiver;
        if (!receiver) continue;
        totals.tracks += 1;
        const reports = await receiver.getStats();
        state.ice = selectedPath(reports) ?? state.ice;
        for (const report of reports.values()) {
          if (report.type !== 'inbound-rtp') continue;
          totals.packetsReceived += report.packetsReceived ?? 0;
          totals.level = Math.max(totals.level, report.audioLevel ?? 0);
          totals.totalEnergy += report.totalAudioEnergy ?? 0;
        }
      }
    }
    const peakLevel = Math.max(state.remoteAudio.peakLevel, totals.level);
    state.remoteAudio = { ...totals, peakLevel };
    $('remote-level').value = totals.level;
    const mic = room.localParticipant.getTrackPublication(Track.Source.Microphone)?.track;
    if (mic?.sender) {
      for (const report of (await mic.sender.getStats()).values()) {
        if (report.type === 'outbound-rtp') state.microphone.packetsSent = report.packetsSent ?? 0;
      }
    }
  }

  function selectedPath(reports) {
    for (const report of reports.values()) {
      if (report.type !== 'candidate-pair' || !report.nominated || report.state !== 'succeeded')
        continue;
      const end = (id) => {
        const c = reports.get(id);
        return c ? `${c.address ?? c.ip}:${c.port}` : '?';
      };
      return { local: end(report.localCandidateId), remote: end(report.remoteCandidateId) };
    }
    return undefined;
  }

  function watch(current) {
    current
      .on(RoomEvent.ConnectionStateChanged, (s) => {
        if (s !== 'connected') setStatus(`Connection: ${s}`);
      })
      .on(RoomEvent.Disconnected, (reason) => {
        if (room !== current) return;
        setStatus(`Disconnected (reason ${reason ?? 'unknown'}).`);
        cleanUp();
      })
      .on(RoomEvent.ParticipantConnected, renderParticipants)
      .on(RoomEvent.ParticipantDisconnected, renderParticipants)
      .on(RoomEvent.TrackSubscribed, (track) => {
        if (track.kind !== Track.Kind.Audio) return;
        $('audio').append(track.attach());
      })
      .on(RoomEvent.TrackUnsubscribed, (track) => {
        for (const element of track.detach()) element.remove();
      })
      .on(RoomEvent.AudioPlaybackStatusChanged, () => {
        $('start-audio').hidden = current.canPlaybackAudio;
        if (!current.canPlaybackAudio) setStatus('The browser blocked audio: press Enable audio.');
      })
      .on(RoomEvent.MediaDevicesError, fail)
      // Agents publish transcription packets for both sides; `participant` is who spoke.
      .on(RoomEvent.TranscriptionReceived, (segments, participant) => {
        const identity = participant?.identity ?? '?';
        for (const s of segments) upsertTranscript(s.id, identity, s.text, s.final);
      });
    // Newer agents send transcriptions as text streams on this topic instead.
    current.registerTextStreamHandler('lk.transcription', async (reader, sender) => {
      const attributes = reader.info.attributes ?? {};
      const id = attributes['lk.segment_id'] ?? reader.info.id;
      const final = attributes['lk.transcription_final'] === 'true';
      let text = '';
      for await (const chunk of reader) {
        text += chunk;
        upsertTranscript(id, sender.identity, text, false);
      }
      upsertTranscript(id, sender.identity, text, final);
    });
  }

  function cleanUp() {
    clearInterval(statsTimer);
    statsTimer = undefined;
    for (const element of $('audio').querySelectorAll('audio')) element.remove();
    room = undefined;
    state.connected = false;
    state.microphone.published = false;
    renderParticipants();
    $('connect').disabled = false;
    $('disconnect').disabled = true;
    $('start-audio').hidden = true;
  }

  async function connect() {
    const roomName = $('room').value.trim();
    const identity = $('identity').value.trim();
    $('connect').disabled = true;
    setStatus('Getting a token…');
    const query = new URLSearchParams({ room: roomName, identity });
    const response = await fetch(`/playground/token?${query}`);
    if (!response.ok) throw new Error(`token: ${await response.text()}`);
    const { token } = await response.json();
    state.room = roomName;
    state.identity = identity;
    const current = new Room({ adaptiveStream: false, dynacast: false });
    room = current;
    watch(current);
    setStatus('Connecting…');
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const started = performance.now();
    await current.connect(`${scheme}://${location.host}`, token);
    if (room !== current) return; // disconnected meanwhile
    state.connectMs = Math.round(performance.now() - started);
    state.connected = true;
    $('disconnect').disabled = false;
    renderParticipants();
    // Connect's click is the user gesture that lets the page play audio.
    await current.startAudio();
    setStatus('Connected; starting the microphone…');
    await current.localParticipant.setMicrophoneEnabled(true);
    state.microphone.published = true;
    statsTimer = setInterval(() => {
      // getStats can outlast the interval on a busy machine: never stack polls.
      if (polling) return;
      polling = true;
      pollStats()
        .catch(fail)
        .finally(() => {
          polling = false;
        });
    }, STATS_INTERVAL_MS);
    setStatus(`Connected to room "${roomName}" as "${identity}": speak.`);
  }

  $('join').addEventListener('submit', (event) => {
    event.preventDefault();
    connect().catch((error) => {
      fail(error);
      const current = room;
      if (current) current.disconnect().finally(cleanUp);
      else cleanUp();
    });
  });

  $('disconnect').addEventListener('click', () => {
    const current = room;
    if (!current) return;
    setStatus('Disconnecting…');
    current.disconnect().then(() => setStatus('Not connected.'), fail);
  });

  $('start-audio').addEventListener('click', () => {
    room?.startAudio().then(() => {
      $('start-audio').hidden = true;
    }, fail);
  });

  if (params.get('autoconnect') === '1') $('connect').click();
})();
